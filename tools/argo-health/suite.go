package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"

	"sigs.k8s.io/yaml"
)

// The files of one Argo CD resource customization, laid out as in Argo CD's resource_customizations/:
// <dir>/health.lua with health_test.yaml, <dir>/actions/discovery.lua, <dir>/actions/<name>/action.lua
// with actions/action_test.yaml; test inputs are paths relative to the test file.

type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

type healthTests struct {
	Tests []struct {
		InputPath    string       `json:"inputPath"`
		HealthStatus healthStatus `json:"healthStatus"`
	} `json:"tests"`
}

type actionParam struct {
	Name    string `json:"name,omitempty"`
	Value   string `json:"value,omitempty"`
	Type    string `json:"type,omitempty"`
	Default string `json:"default,omitempty"`
}

type resourceAction struct {
	Name        string        `json:"name"`
	Params      []actionParam `json:"params,omitempty"`
	Disabled    bool          `json:"disabled"`
	IconClass   string        `json:"iconClass"`
	DisplayName string        `json:"displayName"`
}

type actionTests struct {
	DiscoveryTests []struct {
		InputPath string           `json:"inputPath"`
		Result    []resourceAction `json:"result"`
	} `json:"discoveryTests"`
	ActionTests []struct {
		Action               string            `json:"action"`
		InputPath            string            `json:"inputPath"`
		ExpectedOutputPath   string            `json:"expectedOutputPath"`
		ExpectedErrorMessage string            `json:"expectedErrorMessage"`
		Parameters           map[string]string `json:"parameters"`
	} `json:"actionTests"`
}

// One test case's outcome, printed as a JSON line.
type caseResult struct {
	Dir    string `json:"dir"`
	Suite  string `json:"suite"`
	Action string `json:"action,omitempty"`
	Input  string `json:"input"`
	Want   any    `json:"want"`
	Got    any    `json:"got"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
}

var validHealth = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

func (v vm) health(dir string, obj map[string]any) (healthStatus, error) {
	script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
	if err != nil {
		return healthStatus{}, err
	}
	out, err := v.run(string(script), obj, nil)
	if err != nil {
		return healthStatus{}, err
	}
	var result healthStatus
	if string(out) == "null" || string(out) == "[]" {
		return result, nil
	}
	if err := json.Unmarshal(out, &result); err != nil {
		return healthStatus{}, fmt.Errorf("the health script returned %s: %w", out, err)
	}
	if !validHealth[result.Status] {
		return healthStatus{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
	}
	return result, nil
}

func (v vm) discover(dir string, obj map[string]any) ([]resourceAction, error) {
	script, err := os.ReadFile(filepath.Join(dir, "actions", "discovery.lua"))
	if err != nil {
		return nil, err
	}
	out, err := v.run(string(script), obj, nil)
	if err != nil {
		return nil, err
	}
	actions := []resourceAction{}
	if string(out) == "[]" || string(out) == "null" {
		return actions, nil
	}
	var byName map[string]json.RawMessage
	if err := json.Unmarshal(out, &byName); err != nil {
		return nil, fmt.Errorf("the discovery script returned %s: %w", out, err)
	}
	for name, raw := range byName {
		action := resourceAction{Name: name}
		if string(raw) != "[]" {
			if err := json.Unmarshal(raw, &action); err != nil {
				return nil, fmt.Errorf("action %s: %w", name, err)
			}
			action.Name = name
		}
		actions = append(actions, action)
	}
	sort.Slice(actions, func(i, j int) bool { return actions[i].Name < actions[j].Name })
	return actions, nil
}

func (v vm) action(dir, name string, obj map[string]any, params map[string]string) (map[string]any, error) {
	script, err := os.ReadFile(filepath.Join(dir, "actions", name, "action.lua"))
	if err != nil {
		return nil, err
	}
	input, err := normalize(obj)
	if err != nil {
		return nil, err
	}
	out, err := v.run(string(script), obj, params)
	if err != nil {
		return nil, err
	}
	var result map[string]any
	if err := json.Unmarshal(out, &result); err != nil {
		return nil, fmt.Errorf("the action returned %s, not one object: %w", out, err)
	}
	return restoreEmptyMaps(result, input), nil
}

func (v vm) runTests(dir string) ([]caseResult, error) {
	var results []caseResult
	if raw, err := os.ReadFile(filepath.Join(dir, "health_test.yaml")); err == nil {
		var tests healthTests
		if err := yaml.UnmarshalStrict(raw, &tests); err != nil {
			return nil, fmt.Errorf("%s/health_test.yaml: %w", dir, err)
		}
		for _, test := range tests.Tests {
			result := caseResult{Dir: dir, Suite: "health", Input: test.InputPath, Want: test.HealthStatus}
			if obj, err := readObject(filepath.Join(dir, test.InputPath)); err != nil {
				result.Error = err.Error()
			} else if got, err := v.health(dir, obj); err != nil {
				result.Error = err.Error()
			} else {
				result.Got = got
				result.OK = got == test.HealthStatus
			}
			results = append(results, result)
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}

	actionsDir := filepath.Join(dir, "actions")
	raw, err := os.ReadFile(filepath.Join(actionsDir, "action_test.yaml"))
	if os.IsNotExist(err) {
		return results, nil
	}
	if err != nil {
		return nil, err
	}
	var tests actionTests
	if err := yaml.UnmarshalStrict(raw, &tests); err != nil {
		return nil, fmt.Errorf("%s/action_test.yaml: %w", actionsDir, err)
	}
	for _, test := range tests.DiscoveryTests {
		want := append([]resourceAction{}, test.Result...)
		sort.Slice(want, func(i, j int) bool { return want[i].Name < want[j].Name })
		result := caseResult{Dir: dir, Suite: "discovery", Input: test.InputPath, Want: want}
		if obj, err := readObject(filepath.Join(actionsDir, test.InputPath)); err != nil {
			result.Error = err.Error()
		} else if got, err := v.discover(dir, obj); err != nil {
			result.Error = err.Error()
		} else {
			result.Got = got
			result.OK = reflect.DeepEqual(got, want)
		}
		results = append(results, result)
	}
	for _, test := range tests.ActionTests {
		result := caseResult{Dir: dir, Suite: "action", Action: test.Action, Input: test.InputPath}
		obj, err := readObject(filepath.Join(actionsDir, test.InputPath))
		if err != nil {
			result.Error = err.Error()
			results = append(results, result)
			continue
		}
		got, runErr := v.action(dir, test.Action, obj, test.Parameters)
		switch {
		case test.ExpectedErrorMessage != "":
			result.Want = map[string]string{"error": test.ExpectedErrorMessage}
			if runErr != nil {
				result.Got = map[string]string{"error": runErr.Error()}
				result.OK = runErr.Error() == test.ExpectedErrorMessage
			} else {
				result.Got = got
			}
		case runErr != nil:
			result.Error = runErr.Error()
		default:
			want, err := readObject(filepath.Join(actionsDir, test.ExpectedOutputPath))
			if err != nil {
				result.Error = err.Error()
				break
			}
			result.Want = want
			result.Got = got
			normalizedGot, err := normalize(got)
			if err != nil {
				result.Error = err.Error()
				break
			}
			result.OK = reflect.DeepEqual(normalizedGot, want)
		}
		results = append(results, result)
	}
	return results, nil
}

// readObject reads one YAML or JSON object, numbers as float64 (as JSON decodes them).
func readObject(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseObject(raw)
}

func parseObject(raw []byte) (map[string]any, error) {
	asJSON, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(asJSON, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, fmt.Errorf("no object in the input")
	}
	return obj, nil
}

// normalize round-trips a value through JSON, so numbers compare as float64 whatever made them.
func normalize(obj map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(raw, &out)
}
