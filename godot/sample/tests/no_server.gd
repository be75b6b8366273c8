# StdbClient without a server (tests/godot.rs runs it: godot3-server --path godot/sample -s
# res://tests/no_server.gd): the state before connecting, refused input with a clear last_error(),
# and a connect to a closed port ending in `connect_failed` (kind STDB_CONNECT_ERROR_REFUSED).
# STDB_URI is that closed port. Prints `ok` and exits 0 when every check held.
extends SceneTree

const StdbClient = preload("res://addons/stdb/stdb_client.gdns")
const ERR_INVALID_ARGUMENT = 3
const ERR_DISCONNECTED = 7
const ERR_INVALID_STATE = 9
const CONNECT_ERROR_REFUSED = 1

var failures = 0
var failed_kind = -1
var failed_message = ""
var connected = false


func check(cond, what):
	if not cond:
		failures += 1
		print("FAILED: ", what)


func _on_connect_failed(kind, _http_status, message):
	failed_kind = kind
	failed_message = message


func _on_connected(_identity, _token):
	connected = true


func _init():
	var c = StdbClient.new()
	check(c.library_version() != "", "library_version")
	check(c.identity_hex() == "", "no identity before connecting")
	check(c.protocol() == 0, "no protocol before connecting")
	check(not c.is_active(), "not active before connecting")
	check(c.tick() == ERR_DISCONNECTED, "tick without a connection")
	check(c.subscribe(["SELECT * FROM player"]) == -1, "subscribe before connecting")
	check("not connected" in c.last_error(), "subscribe's error: " + c.last_error())
	check(c.subscribe("SELECT * FROM player") == -1, "subscribe with a String")
	check("PoolStringArray" in c.last_error(), "subscribe's type error: " + c.last_error())
	check(c.call_reducer("say", "not bytes") == -1, "call_reducer with a String for args")
	check("PoolByteArray" in c.last_error(), "call_reducer's type error: " + c.last_error())
	check(c.count("player") == -1, "count before connecting")
	check(c.rows("player").size() == 0, "rows before connecting")
	check(c.close() == ERR_DISCONNECTED, "close without a connection")
	check(c.connect_to(42, "db") == ERR_INVALID_ARGUMENT, "connect_to with an int uri")
	check(c.connect_to("no-scheme", "quickstart") != 0, "connect_to with a bad uri")
	check(c.last_error() != "", "bad uri's error")

	var d = StdbClient.new()
	d.connect("connect_failed", self, "_on_connect_failed")
	d.connect("connected", self, "_on_connected")
	check(d.connect_to(OS.get_environment("STDB_URI"), "quickstart") == 0, "connect_to: " + d.last_error())
	check(d.is_active(), "active after connect_to")
	check(d.connect_to(OS.get_environment("STDB_URI"), "quickstart") == ERR_INVALID_STATE, "a second connect_to")
	check(d.unsubscribe(0) == ERR_INVALID_ARGUMENT, "unsubscribe of an unknown id")
	var waited = 0
	while failed_kind == -1 and waited < 10000:
		d.tick()  # the connect_failed signal is emitted from inside this call
		OS.delay_msec(10)
		waited += 10
	check(failed_kind == CONNECT_ERROR_REFUSED, "connect_failed kind %d (%s)" % [failed_kind, failed_message])
	check(failed_message != "", "connect_failed message")
	check(not connected, "no connected signal")
	check(d.tick() == ERR_DISCONNECTED, "tick after the failure")
	check(not d.is_active(), "not active after the failure")
	print("connect_failed ", failed_kind, " ", failed_message)
	c = null
	d = null
	if failures == 0:
		print("ok")
	OS.exit_code = 0 if failures == 0 else 1
	quit()
