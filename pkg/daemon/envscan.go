package daemon

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

var (
	envLiteral    = regexp.MustCompile(`"(HOOKWIRE_[A-Z0-9_]+)"`)
	secretLiteral = regexp.MustCompile(`\.Secret\("(HOOKWIRE_[A-Z0-9_]+)"`) // envconf.Reader.Secret: X and X_FILE
)

// EnvNamesIn returns, sorted and once each, the "HOOKWIRE_*" string
// literals of the non-test Go files under root (and X_FILE for each X read
// with envconf.Reader.Secret). Tests use it to keep each
// service's EnvVars list and the compose file honest against the code.
func EnvNamesIn(root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range envLiteral.FindAllSubmatch(b, -1) {
			names = append(names, string(m[1]))
		}
		for _, m := range secretLiteral.FindAllSubmatch(b, -1) {
			names = append(names, string(m[1])+"_FILE")
		}
		return nil
	})
	slices.Sort(names)
	return slices.Compact(names), err
}
