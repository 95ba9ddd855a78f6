package command

import (
	"reflect"
	"strings"
	"testing"
)

func TestTranslateSaltKey(t *testing.T) {
	for in, want := range map[string]string{
		"key -L":                  "key list",
		"key --list-all":          "key list",
		"key -l acc":              "key list --key-state acc",
		"key -l pre":              "key list --key-state pre",
		"key --list=den":          "key list --key-state den",
		"key -a web-1":            "key accept -- web-1",
		"key -a web-1 -y":         "key -y accept -- web-1",
		"key -A":                  "key accept --all",
		"key -A -y":               "key -y accept --all",
		"key -r web-*":            "key reject -- web-*",
		"key -R":                  "key reject --all",
		"key -d web-1 -y":         "key -y delete -- web-1",
		"key -D":                  "key delete --all",
		"key -f web-1":            "key finger -- web-1",
		"key -F":                  "key finger --all",
		"--out json key -L":       "--out json key list",
		"key accept -A":           "key accept -A", // ctl's own words: -A is --all
		"key list":                "key list",
		"test.ping -L a,b":        "test.ping -L a,b", // not key: -L is the list target
		"--timeout 5 key -a x":    "--timeout 5 key accept -- x",
		"key -a -dash-id":         "key accept -- -dash-id",
		"key -d=web-1 --yes":      "key --yes delete -- web-1",
		"-t 3 test.ping key -a x": "-t 3 test.ping key -a x", // "key" is an argument here
	} {
		got, err := translateSaltKey(strings.Fields(in))
		if err != nil || !reflect.DeepEqual(got, strings.Fields(want)) {
			t.Errorf("%q -> %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"key -a web-1 -d web-2": "two different actions",
		"key -a":                "needs a value",
		"key -l nope":           "acc, pre, rej, den or all",
		"key -A=x":              "takes no value",
	} {
		_, err := translateSaltKey(strings.Fields(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", in, err, want)
		}
	}
}
