package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
	luajson "layeh.com/gopher-json"
)

// A script runs as Argo CD runs a resource customization from argocd-cm: the object as the global
// `obj`, action parameters as the global `actionParams`, only the package, base, table and a safe
// os library (time and date) loaded, and one second to finish. The value the script returns is
// encoded to JSON the way Argo CD encodes it.
type vm struct {
	clock func() time.Time
}

const scriptTimeout = time.Second

func (v vm) run(script string, obj map[string]any, params map[string]string) (json.RawMessage, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, v.openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, fmt.Errorf("opening the %q library: %w", lib.name, err)
		}
	}
	l.PreloadModule(lua.OsLibName, v.loadSafeOs)

	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	l.SetContext(ctx)

	actionParams := l.CreateTable(0, len(params))
	for name, value := range params {
		actionParams.RawSetString(name, lua.LString(value))
	}
	l.SetGlobal("actionParams", actionParams)
	l.SetGlobal("obj", toLua(l, obj))

	fn, err := l.LoadString(script)
	if err != nil {
		return nil, err
	}
	l.Push(fn)
	if err := l.PCall(0, lua.MultRet, nil); err != nil {
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorRun {
			apiErr.StackTrace = ""
			return nil, apiErr
		}
		return nil, err
	}
	returned := l.Get(-1)
	switch returned.Type() {
	case lua.LTTable:
		encoded, err := luajson.Encode(returned)
		if err != nil {
			return nil, fmt.Errorf("encoding what the script returned: %w", err)
		}
		return encoded, nil
	case lua.LTNil:
		return json.RawMessage("null"), nil
	default:
		return nil, fmt.Errorf("expect table output from Lua script, not %s", returned.Type())
	}
}

// toLua converts a decoded JSON/YAML value to Lua values as Argo CD does: maps and lists become
// tables, numbers LNumber, null nil.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		table := l.CreateTable(len(v), 0)
		for _, item := range v {
			table.Append(toLua(l, item))
		}
		return table
	case map[string]any:
		table := l.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetString(key, toLua(l, item))
		}
		return table
	default:
		return lua.LNil
	}
}

// restoreEmptyMaps undoes what Lua cannot tell apart: an empty table is encoded as [], so where the
// input held a map, an empty list in the output is the empty map again (as Argo CD does before it
// patches the object).
func restoreEmptyMaps(output, input map[string]any) map[string]any {
	for key, before := range input {
		after, ok := output[key]
		if !ok {
			continue
		}
		switch a := after.(type) {
		case map[string]any:
			if b, ok := before.(map[string]any); ok {
				output[key] = restoreEmptyMaps(a, b)
			}
		case []any:
			switch b := before.(type) {
			case map[string]any:
				if len(a) == 0 {
					output[key] = map[string]any{}
				}
			case []any:
				for i := range a {
					if i >= len(b) {
						break
					}
					am, aok := a[i].(map[string]any)
					bm, bok := b[i].(map[string]any)
					if aok && bok {
						a[i] = restoreEmptyMaps(am, bm)
					}
				}
			}
		}
	}
	return output
}
