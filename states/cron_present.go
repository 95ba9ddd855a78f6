package states

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	RegisterTyped(Typed[cronPresentArgs]{
		Name: "cron.present",
		Doc: `Ensure a job is in a user's crontab, in Salt's format (the job under Salt's marker line, preceded by a "# SALT_CRON_IDENTIFIER:" comment).

name: the command. user: whose crontab (default root). minute, hour, daymonth, month, dayweek: the schedule fields (default *); "random" keeps any value other than * and gives a new job a random one; "a:b" a random value in that range. special: @reboot, @hourly, @daily, @weekly, @monthly, @yearly, @annually or @midnight instead of the fields. comment: a comment line above the job. commented: True keeps the job disabled (#DISABLED#). identifier: what identifies the job (default: the command), so the command can change.
The crontab is read with crontab -l (-u user when run as root for another user) and replaced through crontab -.
Changes: {user: name}.`,
		Apply: cronPresent,
	})
}

// cronPresentArgs are cron.present's arguments.
type cronPresentArgs struct {
	cronCommonArgs
	Minute    string  `salt:"minute" default:"*"`
	Hour      string  `salt:"hour" default:"*"`
	Daymonth  string  `salt:"daymonth" default:"*"`
	Month     string  `salt:"month" default:"*"`
	Dayweek   string  `salt:"dayweek" default:"*"`
	Comment   *string `salt:"comment"`
	Commented bool    `salt:"commented"`
}

// cronCommonArgs are the arguments cron.present and cron.absent share.
type cronCommonArgs struct {
	User       string `salt:"user" default:"root"`
	Identifier string `salt:"identifier"`
	Special    string `salt:"special"`
}

var cronSpecials = []string{"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

func (a *cronCommonArgs) validate() error {
	if a.User == "" || strings.ContainsAny(a.User, " \t\n/") {
		return ArgErrorf("user", "must be a user name, got %q", a.User)
	}
	if a.Special != "" && !containsString(cronSpecials, a.Special) {
		return ArgErrorf("special", "must be one of %s, got %q", strings.Join(cronSpecials, ", "), a.Special)
	}
	if strings.Contains(a.Identifier, "\n") {
		return ArgErrorf("identifier", "must be one line")
	}
	return nil
}

// Validate checks the schedule fields.
func (a *cronPresentArgs) Validate() error {
	for _, f := range a.fields() {
		if f.want == "" || strings.ContainsAny(f.want, " \t\n") {
			return ArgErrorf(f.name, "must be a crontab field without spaces, got %q", f.want)
		}
	}
	return a.cronCommonArgs.validate()
}

func (a *cronPresentArgs) fields() []cronField {
	return []cronField{{"minute", strings.ToLower(a.Minute)}, {"hour", strings.ToLower(a.Hour)},
		{"daymonth", strings.ToLower(a.Daymonth)}, {"month", strings.ToLower(a.Month)}, {"dayweek", strings.ToLower(a.Dayweek)}}
}

// cronName is the state's command, stripped as Salt does, and the
// identifier (default the command).
func cronName(call Call, identifier string) (string, string, error) {
	name := strings.TrimSpace(call.Name)
	if name == "" || strings.Contains(name, "\n") {
		return "", "", fmt.Errorf("State '%s' (%s): the command (name) must be one non-empty line", call.ID, call.Fun)
	}
	if identifier == "" {
		identifier = name
	}
	return name, identifier, nil
}

func cronPresent(ctx context.Context, env *Env, call Call, a *cronPresentArgs) Result {
	name, identifier, err := cronName(call, a.Identifier)
	if err != nil {
		return failErr(call.Name, err)
	}
	tab, err := readCrontab(ctx, env, a.User)
	if err != nil {
		return fail(name, "Cron %s for user %s failed to commit with error \n%v", name, a.User, err)
	}
	fields := a.fields()
	job := &cronJob{cmd: name, identifier: identifier, comment: a.Comment, commented: a.Commented, spec: a.Special}
	status := "new"
	if i := tab.find(name, identifier, ""); i >= 0 {
		old := tab.jobs[i]
		if job.comment == nil {
			job.comment = old.comment
		}
		if job.spec == "" {
			have := []string{old.minute, old.hour, old.daymonth, old.month, old.dayweek}
			for k, f := range fields {
				if old.spec == "" && f.ok(have[k]) {
					continue
				}
				have[k] = f.value()
			}
			job.minute, job.hour, job.daymonth, job.month, job.dayweek = have[0], have[1], have[2], have[3], have[4]
		}
		if sameCronJob(old, job) {
			return Result{Name: name, Result: True(), Comment: fmt.Sprintf("Cron %s already present", name)}
		}
		status = "updated"
		tab.jobs[i] = job
	} else {
		if job.spec == "" {
			job.minute, job.hour, job.daymonth, job.month, job.dayweek = fields[0].value(), fields[1].value(), fields[2].value(), fields[3].value(), fields[4].value()
		}
		tab.jobs = append(tab.jobs, job)
	}
	changes := map[string]any{a.User: name}
	if call.Test {
		verb := map[string]string{"new": "added", "updated": "updated"}[status]
		return Result{Name: name, Changes: changes, Comment: fmt.Sprintf("Cron %s is set to be %s", name, verb)}
	}
	if err := writeCrontab(ctx, env, a.User, tab); err != nil {
		return fail(name, "Cron %s for user %s failed to commit with error \n%v", name, a.User, err)
	}
	if status == "new" {
		return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Cron %s added to %s's crontab", name, a.User)}
	}
	return Result{Name: name, Result: True(), Changes: changes, Comment: fmt.Sprintf("Cron %s updated", name)}
}

func sameCronJob(a, b *cronJob) bool {
	sameComment := (a.comment == nil) == (b.comment == nil) && (a.comment == nil || *a.comment == *b.comment)
	return sameComment && a.minute == b.minute && a.hour == b.hour && a.daymonth == b.daymonth && a.month == b.month &&
		a.dayweek == b.dayweek && a.spec == b.spec && a.cmd == b.cmd && a.identifier == b.identifier && a.commented == b.commented
}
