// Command argo-health runs Argo CD resource customizations (health.lua, actions/discovery.lua,
// actions/<name>/action.lua) with gopher-lua, the interpreter Argo CD embeds, as Argo CD runs them.
//
//	argo-health [-now RFC3339] test DIR...              run DIR's health_test.yaml and actions/action_test.yaml
//	argo-health [-now RFC3339] health DIR                the health of the object on stdin
//	argo-health [-now RFC3339] discover DIR              the actions offered for the object on stdin
//	argo-health [-now RFC3339] action DIR NAME [K=V...]  the object on stdin after action NAME
//
// test prints one JSON line per case and exits 1 when one fails; the others print one JSON value.
// -now pins the clock that os.time and os.date read.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "argo-health: %v\n", err)
	}
	os.Exit(code)
}

func run(args []string, stdin io.Reader, stdout io.Writer) (int, error) {
	flags := flag.NewFlagSet("argo-health", flag.ContinueOnError)
	now := flags.String("now", "", "the time os.time and os.date return (RFC 3339); default: the real clock")
	if err := flags.Parse(args); err != nil {
		return 2, err
	}
	v := vm{clock: time.Now}
	if *now != "" {
		pinned, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return 2, fmt.Errorf("-now: %w", err)
		}
		v.clock = func() time.Time { return pinned }
	}
	rest := flags.Args()
	if len(rest) < 2 {
		return 2, fmt.Errorf("usage: argo-health [-now RFC3339] test|health|discover|action DIR [NAME [K=V...]]")
	}
	encoder := json.NewEncoder(stdout)
	command, dir := rest[0], rest[1]
	if command == "test" {
		failed := false
		for _, dir := range rest[1:] {
			results, err := v.runTests(dir)
			if err != nil {
				return 1, err
			}
			for _, result := range results {
				failed = failed || !result.OK
				if err := encoder.Encode(result); err != nil {
					return 1, err
				}
			}
		}
		if failed {
			return 1, nil
		}
		return 0, nil
	}

	raw, err := io.ReadAll(stdin)
	if err != nil {
		return 1, err
	}
	obj, err := parseObject(raw)
	if err != nil {
		return 1, fmt.Errorf("reading the object on stdin: %w", err)
	}
	var out any
	switch command {
	case "health":
		out, err = v.health(dir, obj)
	case "discover":
		out, err = v.discover(dir, obj)
	case "action":
		if len(rest) < 3 {
			return 2, fmt.Errorf("action needs a NAME")
		}
		params := map[string]string{}
		for _, pair := range rest[3:] {
			name, value, ok := strings.Cut(pair, "=")
			if !ok {
				return 2, fmt.Errorf("action parameter %q is not NAME=VALUE", pair)
			}
			params[name] = value
		}
		out, err = v.action(dir, rest[2], obj, params)
	default:
		return 2, fmt.Errorf("unknown command %q", command)
	}
	if err != nil {
		return 1, err
	}
	return 0, encoder.Encode(out)
}
