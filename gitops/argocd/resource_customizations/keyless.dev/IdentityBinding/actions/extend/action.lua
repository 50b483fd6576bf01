-- Extends a temporary binding: its grants now end `hours` (default 1) from now. Sets
-- spec.expiresAt (replacing spec.duration), which Keyless applies like any spec change: an ended
-- binding is granted again, and the account's guardrails still judge the whole lifetime from
-- creation (guardrails.maxGrantDuration), refusing an end past it as GuardrailViolation.
-- Written without Lua's string and math libraries, which argocd-cm actions do not get.
local os = require("os")

local hours = 1
if actionParams ~= nil and actionParams["hours"] ~= nil then
  hours = tonumber(actionParams["hours"])
  if hours == nil or hours <= 0 then
    error("hours must be a positive number, not " .. actionParams["hours"], 0)
  end
end
if obj.spec.expiresAt == nil and obj.spec.duration == nil then
  error("only a temporary binding (spec.expiresAt or spec.duration) can be extended", 0)
end

local function floorDiv(a, b)
  return (a - a % b) / b
end

-- Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
local function daysFromCivil(y, m, d)
  if m <= 2 then
    y = y - 1
  end
  local era = floorDiv(y, 400)
  local yoe = y - era * 400
  local doy = floorDiv(153 * ((m + 9) % 12) + 2, 5) + d - 1
  local doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy
  return era * 146097 + doe - 719468
end

local function civilFromDays(z)
  z = z + 719468
  local era = floorDiv(z, 146097)
  local doe = z - era * 146097
  local yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365)
  local doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100))
  local mp = floorDiv(5 * doy + 2, 153)
  local d = doy - floorDiv(153 * mp + 2, 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then
    y = y + 1
  end
  return y, m, d
end

local function pad(n, width)
  local s = "" .. n
  while #s < width do
    s = "0" .. s
  end
  return s
end

local now = os.date("!*t")
local seconds = daysFromCivil(now.year, now.month, now.day) * 86400 + now.hour * 3600 + now.min * 60 + now.sec
seconds = floorDiv(seconds + hours * 3600, 1)
local days = floorDiv(seconds, 86400)
local rest = seconds - days * 86400
local y, m, d = civilFromDays(days)
local endsAt = pad(y, 4) .. "-" .. pad(m, 2) .. "-" .. pad(d, 2) .. "T" .. pad(floorDiv(rest, 3600), 2) .. ":" ..
  pad(floorDiv(rest % 3600, 60), 2) .. ":" .. pad(rest % 60, 2) .. "Z"

-- status.expiresAt is the end Keyless computed, in UTC: RFC 3339 strings of one form sort by time.
local current = obj.status and obj.status.expiresAt
if current ~= nil and current > endsAt then
  error("the grants already end at " .. current .. ", after " .. endsAt, 0)
end
obj.spec.expiresAt = endsAt
obj.spec.duration = nil
return obj
