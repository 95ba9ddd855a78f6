package states

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeLocales puts locale, locale-gen and localectl stand-ins on PATH:
// locale -a lists the file avail; locale-gen adds the uncommented entries
// of root's /etc/locale.gen to it (Debian's, which ignores its argument);
// localectl keeps its settings in a file, one KEY=VALUE a line.
func fakeLocales(t *testing.T, root string) (avail, ctl, log string) {
	bin := t.TempDir()
	avail, ctl, log = filepath.Join(bin, "avail"), filepath.Join(bin, "localectl.state"), filepath.Join(bin, "log")
	writeFile(t, avail, "C\nC.utf8\nPOSIX\n")
	writeFile(t, ctl, "LANG=C.UTF-8\nLC_TIME=en_GB.UTF-8\n")
	stubTool(t, bin, "locale", "A="+avail+"\n"+`[ "$1" = -a ] || exit 1; cat "$A"`+"\n")
	stubTool(t, bin, "locale-gen", "A="+avail+"\nLOG="+log+"\nR="+root+"\n"+`echo "locale-gen $*" >> "$LOG"
grep -v '^#' "$R/etc/locale.gen" | while read -r l c; do
  [ -n "$l" ] || continue
  n=$(echo "$l" | sed 's/UTF-8/utf8/'); grep -qx "$n" "$A" || echo "$n" >> "$A"
done
`)
	stubTool(t, bin, "localectl", "S="+ctl+"\nLOG="+log+"\n"+`echo "localectl $*" >> "$LOG"
case "$1" in
  status) first=1; while read -r kv; do
      if [ $first = 1 ]; then echo "   System Locale: $kv"; first=0; else echo "                  $kv"; fi
    done < "$S"; echo "       VC Keymap: n/a"; echo "      X11 Layout: us" ;;
  set-locale) shift; : > "$S"; for kv in "$@"; do echo "$kv" >> "$S"; done ;;
  *) exit 1 ;;
esac
`)
	onPath(t, bin)
	return avail, ctl, log
}

func TestLocalePresent(t *testing.T) {
	root := t.TempDir()
	avail, _, log := fakeLocales(t, root)
	writeFile(t, filepath.Join(root, "usr/share/i18n/SUPPORTED"), "de_DE.UTF-8 UTF-8\nde_DE ISO-8859-1\nen_US.UTF-8 UTF-8\n")
	writeFile(t, filepath.Join(root, "etc/locale.gen"), "# en_US ISO-8859-1\n# en_US.UTF-8 UTF-8\n")
	env := testEnv(t)
	env.SysRoot = root
	snap := func() string { return snapshotTree(t, root)() + readFile(t, avail) }
	first := cycle(t, env, "locale.present", "en_US.UTF-8", nil, snap)
	if first.Changes["locale"] != "en_US.UTF-8" || first.Comment != "Generated locale en_US.UTF-8" {
		t.Errorf("result %+v", first)
	}
	if got := readFile(t, filepath.Join(root, "etc/locale.gen")); got != "# en_US ISO-8859-1\nen_US.UTF-8 UTF-8\n" {
		t.Errorf("locale.gen %q", got)
	}
	// Not listed at all: appended; charmap given.
	cycle(t, env, "locale.present", "de_DE.UTF-8 UTF-8", nil, snap)
	if got := readFile(t, filepath.Join(root, "etc/locale.gen")); !strings.HasSuffix(got, "\nde_DE.UTF-8 UTF-8\n") {
		t.Errorf("locale.gen %q", got)
	}
	if calls := readFile(t, log); calls != "locale-gen en_US.UTF-8 UTF-8\nlocale-gen de_DE.UTF-8 UTF-8\n" {
		t.Errorf("calls %q", calls)
	}
	wantFail(t, apply(t, env, "locale.present", "xx_YY.UTF-8", nil, false), "xx_YY.UTF-8 UTF-8", "is not found in")
	// locale-gen that does not generate it fails the state.
	writeFile(t, filepath.Join(root, "usr/share/i18n/SUPPORTED"), "fr_FR.UTF-8 UTF-8\n")
	if err := os.Remove(filepath.Join(root, "etc/locale.gen")); err != nil {
		t.Fatal(err)
	}
	wantFail(t, apply(t, env, "locale.present", "fr_FR.UTF-8", nil, false), "locale -a does not list it")
}

func TestLocaleSystem(t *testing.T) {
	root := t.TempDir()
	_, ctl, log := fakeLocales(t, root)
	env := testEnv(t)
	env.SysRoot = root
	// Without systemd: /etc/default/locale.
	writeFile(t, filepath.Join(root, "etc/default/locale"), "# set by the installer\nLANG=C.UTF-8\nLC_TIME=C\n")
	first := cycle(t, env, "locale.system", "en_US.UTF-8", nil, snapshotTree(t, root))
	if first.Changes["locale"] != "en_US.UTF-8" || first.Comment != "Set system locale en_US.UTF-8" {
		t.Errorf("result %+v", first)
	}
	if got := readFile(t, filepath.Join(root, "etc/default/locale")); got != "# set by the installer\nLANG=\"en_US.UTF-8\"\nLC_TIME=C\n" {
		t.Errorf("default/locale %q", got)
	}
	// With systemd: localectl, the other settings kept.
	if err := os.MkdirAll(filepath.Join(root, "run/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	cycle(t, env, "locale.system", "de_DE.UTF-8", nil, func() string { return readFile(t, ctl) })
	if got := readFile(t, ctl); got != "LANG=de_DE.UTF-8\nLC_TIME=en_GB.UTF-8\n" {
		t.Errorf("localectl state %q", got)
	}
	if !strings.Contains(readFile(t, log), "localectl set-locale LANG=de_DE.UTF-8 LC_TIME=en_GB.UTF-8\n") {
		t.Errorf("calls:\n%s", readFile(t, log))
	}
	wantFail(t, apply(t, env, "locale.system", "en US", nil, false), "Invalid locale")
}
