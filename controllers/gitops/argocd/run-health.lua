-- Runs an Argo CD health check the way Argo CD runs one from argocd-cm with its default settings
-- (util/lua/lua.go in argoproj/argo-cd): the object in the global `obj`, only the base functions,
-- `table` and a safe `os` (time and date) loaded, and strings without methods, since the string
-- library is not loaded. The tests of controllers/gitops/ drive it.
--
--   lua5.4 run-health.lua HEALTH_LUA OBJECTS_LUA
--
-- OBJECTS_LUA is a chunk returning a list of objects. For each, one JSON line on stdout:
-- {"status":...,"message":...,"lines":[...]} or {"error":...}; lines are the lines of the
-- health check that ran, so the tests can tell a decision no case reaches.
local scriptPath, objectsPath = arg[1], arg[2]
local file = assert(io.open(scriptPath, "r"))
local source = file:read("a")
file:close()
local objects = assert(loadfile(objectsPath, "t", {}))()

local BASE = { "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall" }

local function sandbox(obj)
  local env = {
    obj = obj,
    table = { concat = table.concat, insert = table.insert, remove = table.remove, sort = table.sort },
    os = { time = os.time, date = os.date },
  }
  for _, name in ipairs(BASE) do
    env[name] = _G[name]
  end
  env._G = env
  return env
end

local function quote(s)
  local escaped = string.gsub(s, '[%c"\\]', function(ch)
    if ch == '"' or ch == "\\" then
      return "\\" .. ch
    end
    return string.format("\\u%04x", string.byte(ch))
  end)
  return '"' .. escaped .. '"'
end

local function failure(why)
  return '{"error":' .. quote(why) .. "}"
end

local function linesRun(chunk)
  local lines = {}
  debug.sethook(function(_, line)
    if debug.getinfo(2, "S").source == "=health.lua" then
      lines[line] = true
    end
  end, "l")
  local stringMethods = getmetatable("")
  debug.setmetatable("", nil)
  local ok, result = pcall(chunk)
  debug.setmetatable("", stringMethods)
  debug.sethook()
  local list = {}
  for line in pairs(lines) do
    list[#list + 1] = line
  end
  table.sort(list)
  return ok, result, "[" .. table.concat(list, ",") .. "]"
end

local function outcome(chunk)
  local ok, result, lines = linesRun(chunk)
  if not ok then
    return failure(tostring(result))
  end
  if type(result) ~= "table" then
    return failure("the script returned " .. type(result) .. ", not a table")
  end
  if type(result.status) ~= "string" then
    return failure("status is " .. type(result.status) .. ", not a string")
  end
  if result.message ~= nil and type(result.message) ~= "string" then
    return failure("message is " .. type(result.message) .. ", not a string")
  end
  local message = "null"
  if result.message ~= nil then
    message = quote(result.message)
  end
  return '{"status":' .. quote(result.status) .. ',"message":' .. message .. ',"lines":' .. lines .. "}"
end

for _, obj in ipairs(objects) do
  local chunk, err = load(source, "=health.lua", "t", sandbox(obj))
  if chunk == nil then
    io.write(failure(err), "\n")
  else
    io.write(outcome(chunk), "\n")
  end
end
