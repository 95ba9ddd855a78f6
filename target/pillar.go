package target

func init() {
	register("pillar", func(expr string) (Matcher, *Error) {
		return compileSubdict(expr, ":", false, true)
	})
	register("pillar_pcre", func(expr string) (Matcher, *Error) {
		return compileSubdict(expr, ":", true, true)
	})
}
