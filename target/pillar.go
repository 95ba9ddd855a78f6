package target

func init() {
	register(Kind{Name: "pillar", Letter: 'I', Flags: []string{"-I", "--pillar"}}, func(expr string) (Matcher, *Error) {
		return compileSubdict(expr, ":", false, true)
	})
	register(Kind{Name: "pillar_pcre", Letter: 'J', Flags: []string{"-J", "--pillar-pcre"}}, func(expr string) (Matcher, *Error) {
		return compileSubdict(expr, ":", true, true)
	})
}
