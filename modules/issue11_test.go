package modules

import (
	"strings"
	"testing"
)

// Every function issue 11 names is registered, with a doc sys.doc shows.
func TestIssue11FunctionsRegistered(t *testing.T) {
	names := []string{
		"file.exists", "file.file_exists", "file.directory_exists", "file.dirname", "file.basename", "file.join",
		"file.search", "file.contains", "file.replace", "file.read", "file.write", "file.stats", "file.get_hash",
		"file.mkdir", "file.remove", "file.touch", "file.find", "file.chown", "file.set_mode", "file.symlink", "file.readlink",
		"service.start", "service.stop", "service.restart", "service.reload", "service.status", "service.enable",
		"service.disable", "service.enabled", "service.available",
		"pkg.install", "pkg.remove", "pkg.version", "pkg.list_pkgs", "pkg.latest_version", "pkg.refresh_db",
		"git.clone", "git.checkout", "git.pull", "git.fetch", "git.rev_parse", "git.config_get", "git.config_set",
		"user.info", "user.list_groups", "user.add", "user.delete", "group.info", "group.add", "group.delete",
		"supervisord.start", "supervisord.stop", "supervisord.restart", "supervisord.status",
		"npm.install", "npm.uninstall", "npm.list", "pip.install", "pip.uninstall", "pip.list", "pip.freeze",
		"archive.tar", "archive.list", "archive.zip", "archive.unzip",
		"cp.get_file", "cp.get_dir", "cp.list_master", "cp.list_master_dirs", "cp.cache_file",
		"log.debug", "log.info", "log.warning", "log.error",
		"slsutil.merge", "slsutil.update", "slsutil.serialize", "slsutil.deserialize", "slsutil.renderer",
		"config.get", "cmd.has_exec", "cmd.script", "saltutil.sync_all", "saltutil.refresh_modules", "smtp.send_msg",
	}
	docs := mustCall(t, nil, "sys.doc", nil, nil).(map[string]any)
	for _, n := range names {
		d, _ := docs[n].(string)
		if !strings.Contains(d, "CLI Example:") || !strings.Contains(d, n) {
			t.Errorf("%s: no doc with a CLI example: %q", n, d)
		}
	}
}
