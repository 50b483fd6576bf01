package main

import (
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The os library Argo CD gives scripts: time and date only. The clock can be pinned, so that an
// action's output that depends on the time can be compared with a fixed expectation.
func (v vm) osFunctions() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{"time": v.osTime, "date": v.osDate}
}

func (v vm) openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.OsLibName, v.osFunctions()))
	return 1
}

func (v vm) loadSafeOs(l *lua.LState) int {
	l.Push(l.SetFuncs(l.NewTable(), v.osFunctions()))
	return 1
}

func (v vm) osTime(l *lua.LState) int {
	if l.GetTop() == 0 {
		l.Push(lua.LNumber(v.clock().Unix()))
		return 1
	}
	fields := l.CheckTable(1)
	field := func(name string, fallback int) int {
		if n, ok := fields.RawGetString(name).(lua.LNumber); ok {
			return int(n)
		}
		return fallback
	}
	t := time.Date(field("year", -1), time.Month(field("month", -1)), field("day", -1),
		field("hour", 12), field("min", 0), field("sec", 0), 0, time.Local)
	l.Push(lua.LNumber(t.Unix()))
	return 1
}

// osDate follows Argo CD's: a leading ! means UTC, *t returns a table, a second argument is a Unix
// time (then read in local time, as Argo CD reads it).
func (v vm) osDate(l *lua.LState) int {
	t := v.clock().Local()
	format := "%c"
	if l.GetTop() >= 1 {
		format = l.CheckString(1)
		if strings.HasPrefix(format, "!") {
			t = t.UTC()
			format = strings.TrimLeft(format, "!")
		}
		if l.GetTop() >= 2 {
			t = time.Unix(l.CheckInt64(2), 0)
		}
		if strings.HasPrefix(format, "*t") {
			table := l.NewTable()
			table.RawSetString("year", lua.LNumber(t.Year()))
			table.RawSetString("month", lua.LNumber(t.Month()))
			table.RawSetString("day", lua.LNumber(t.Day()))
			table.RawSetString("hour", lua.LNumber(t.Hour()))
			table.RawSetString("min", lua.LNumber(t.Minute()))
			table.RawSetString("sec", lua.LNumber(t.Second()))
			table.RawSetString("wday", lua.LNumber(t.Weekday()+1))
			table.RawSetString("yday", lua.LNumber(0))
			table.RawSetString("isdst", lua.LFalse)
			l.Push(table)
			return 1
		}
	}
	l.Push(lua.LString(strftime(t, format)))
	return 1
}

var strftimeLayouts = map[byte]string{
	'a': "Mon", 'A': "Monday", 'b': "Jan", 'B': "January", 'c': "02 Jan 06 15:04 MST", 'd': "02",
	'F': "2006-01-02", 'H': "15", 'I': "03", 'm': "01", 'M': "04", 'p': "PM", 'P': "pm", 'S': "05",
	'x': "15/04/05", 'X': "15:04:05", 'y': "06", 'Y': "2006", 'z': "-0700", 'Z': "MST",
}

func strftime(t time.Time, format string) string {
	var out strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			out.WriteByte(c)
			continue
		}
		i++
		flag := format[i]
		if layout, ok := strftimeLayouts[flag]; ok {
			out.WriteString(t.Format(layout))
		} else if flag == 'w' {
			out.WriteString(strconv.Itoa(int(t.Weekday())))
		} else {
			out.WriteByte('%')
			out.WriteByte(flag)
		}
	}
	return out.String()
}
