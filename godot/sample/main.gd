# The stdb-client Godot 3 sample, against the `quickstart` module (tests/modules/quickstart):
# players with a name, a position and an online flag, and a chat log.
#
# It connects, subscribes to `player` and `message`, names its player, moves it, says something
# (and tries an empty message, which the module refuses), waits until the server's answers and
# the rows they changed arrived, then unsubscribes from `message` (its rows leave the cache). Each
# step is driven by StdbClient's signals, which are emitted from `client.tick()` in `_process`,
# i.e. on the main thread. Afterwards arrow keys move the player (with a display), or, with
# STDB_GODOT_QUIT=1, it disconnects and quits: exit code 0 when every step checked out.
#
# It prints one fact a line, `stdb-result KEY VALUE` (tests/godot.rs reads them).
#
# Environment (or the same names as `--key=value` after `--` on the command line):
#   STDB_URI, STDB_DATABASE   the server and database (default http://127.0.0.1:3000, quickstart)
#   STDB_GODOT_NAME           the player's name (default "godot-player")
#   STDB_GODOT_TEXT           what it says (default "hello from Godot")
#   STDB_GODOT_X, STDB_GODOT_Y  where it moves (default 120.25, 80.5)
#   STDB_GODOT_TIMEOUT        seconds before giving up (default 30)
#   STDB_GODOT_QUIT=1         quit once done
extends Node2D

const StdbClient = preload("res://addons/stdb/stdb_client.gdns")
const STATUS_COMMITTED = 0
const STATUS_FAILED = 1

var client
var cfg = {}
var me = ""
var phase = "connecting"
var elapsed = 0.0
var sub_players = -1
var sub_messages = -1
var applied = {}
var requests = {}        # request id -> what it was ("set_name", "move_to", "say", "say_empty")
var outcomes = {}        # what -> [status, error]
var players = {}         # identity hex -> player Dictionary, kept from the row signals
var messages = []        # message Dictionaries seen by row_inserted
var messages_deleted = 0
var updates_of_me = 0
var messages_ended = false
var quitting = false


func _ready():
	cfg.uri = setting("STDB_URI", "http://127.0.0.1:3000")
	cfg.database = setting("STDB_DATABASE", "quickstart")
	cfg.name = setting("STDB_GODOT_NAME", "godot-player")
	cfg.text = setting("STDB_GODOT_TEXT", "hello from Godot")
	cfg.x = float(setting("STDB_GODOT_X", "120.25"))
	cfg.y = float(setting("STDB_GODOT_Y", "80.5"))
	cfg.timeout = float(setting("STDB_GODOT_TIMEOUT", "30"))
	cfg.quit = setting("STDB_GODOT_QUIT", "") == "1"

	client = StdbClient.new()
	client.connect("connected", self, "_on_connected")
	client.connect("connect_failed", self, "_on_connect_failed")
	client.connect("disconnected", self, "_on_disconnected")
	client.connect("subscription_applied", self, "_on_subscription_applied")
	client.connect("subscription_failed", self, "_on_subscription_failed")
	client.connect("subscription_ended", self, "_on_subscription_ended")
	client.connect("row_inserted", self, "_on_row_inserted")
	client.connect("row_updated", self, "_on_row_updated")
	client.connect("row_deleted", self, "_on_row_deleted")
	client.connect("reducer_done", self, "_on_reducer_done")
	result("library", client.library_version())
	var err = client.connect_to(cfg.uri, cfg.database)
	if err != 0:
		fail("connect_to returned %d: %s" % [err, client.last_error()])


# A setting from `--KEY=value` (after `--`), else the environment, else `default`.
func setting(key, default):
	for arg in OS.get_cmdline_args():
		if arg.begins_with("--" + key + "="):
			return arg.substr(key.length() + 3, arg.length())
	var v = OS.get_environment(key)
	return v if v != "" else default


func _process(delta):
	if quitting:
		return
	elapsed += delta
	if client != null:
		client.tick()  # every signal handler below runs inside this call
	if phase == "calling" and calls_settled():
		report_synced()
		phase = "unsubscribing"
		var err = client.unsubscribe(sub_messages)
		if err != 0:
			fail("unsubscribe returned %d: %s" % [err, client.last_error()])
	elif phase == "unsubscribing" and messages_ended and client.count("message") == 0:
		result("messages_deleted", messages_deleted)
		result("messages_cached_after_unsubscribe", client.count("message"))
		phase = "done"
		result("done", 1)
		if cfg.quit:
			phase = "closing"
			client.close()  # `disconnected("")` follows on a later tick
	elif phase == "done" and not cfg.quit:
		move_with_keys(delta)
	if elapsed > cfg.timeout and not quitting:
		fail("timed out in phase %s after %.1f s" % [phase, elapsed])
	update()


func _on_connected(identity, _token):
	me = identity
	result("connected", 1)
	result("identity", identity)
	result("protocol", client.protocol())
	# The schema is known from here on: watch the tables, then subscribe.
	for table in ["player", "message"]:
		var err = client.watch_table(table)
		if err != 0:
			fail("watch_table(%s) returned %d: %s" % [table, err, client.last_error()])
	sub_players = client.subscribe(PoolStringArray(["SELECT * FROM player"]))
	sub_messages = client.subscribe(["SELECT * FROM message"])
	if sub_players < 0 or sub_messages < 0:
		fail("subscribe failed: " + client.last_error())
	phase = "subscribing"


func _on_connect_failed(kind, http_status, message):
	fail("connect failed (kind %d, HTTP %d): %s" % [kind, http_status, message])


func _on_disconnected(error):
	result("disconnected", error if error != "" else "clean")
	if phase != "closing":
		fail("disconnected in phase %s: %s" % [phase, error])
	else:
		finish(0)


func _on_subscription_applied(id):
	applied[id] = true
	if applied.has(sub_players) and applied.has(sub_messages) and phase == "subscribing":
		result("subscribed", 1)
		result("players_at_subscribe", client.count("player"))
		result("messages_at_subscribe", client.count("message"))
		phase = "calling"
		call_reducer("set_name", bsatn_string(cfg.name))
		call_reducer("move_to", bsatn_f32(cfg.x) + bsatn_f32(cfg.y))
		call_reducer("say", bsatn_string(cfg.text))
		call_reducer("say", bsatn_string(""), "say_empty")  # the module refuses empty messages


func _on_subscription_failed(id, message):
	fail("subscription %d failed: %s" % [id, message])


func _on_subscription_ended(id):
	if id == sub_messages:
		messages_ended = true


func _on_row_inserted(table, row):
	if table == "player":
		var p = decode_player(row)
		players[p.identity] = p
	elif table == "message":
		messages.append(decode_message(row))


func _on_row_updated(table, _old_row, new_row):
	if table == "player":
		var p = decode_player(new_row)
		players[p.identity] = p
		if p.identity == me:
			updates_of_me += 1


func _on_row_deleted(table, row):
	if table == "player":
		players.erase(decode_player(row).identity)
	elif table == "message":
		messages_deleted += 1


func _on_reducer_done(request_id, reducer, status, error):
	if not requests.has(request_id):
		return
	outcomes[requests[request_id]] = [status, error]
	result("reducer", "%s %s %s" % [requests[request_id], reducer, status_name(status)] + ("" if error == "" else " " + error))


func call_reducer(reducer, args, what = ""):
	var id = client.call_reducer(reducer, args)
	if id < 0:
		fail("call_reducer(%s) failed: %s" % [reducer, client.last_error()])
	requests[id] = what if what != "" else reducer


# Every call answered, and the rows they changed are here (reducer_done comes before the row
# signals of the same transaction, so this is checked after the tick).
func calls_settled():
	if outcomes.size() < 4:
		return false
	var mine = players.get(me)
	if mine == null or mine.name != cfg.name or mine.x != cfg.x or mine.y != cfg.y:
		return false
	for m in messages:
		if m.sender == me and m.text == cfg.text:
			return true
	return false


func report_synced():
	for what in ["set_name", "move_to", "say"]:
		if outcomes[what][0] != STATUS_COMMITTED:
			fail("%s did not commit: %s" % [what, outcomes[what]])
	if outcomes["say_empty"][0] != STATUS_FAILED or outcomes["say_empty"][1] == "":
		fail("say(\"\") should have failed with a message: %s" % [outcomes["say_empty"]])
	result("synced", 1)
	result("updates_of_me", updates_of_me)
	# What the cache holds, read through rows() (the signals above kept `players` too).
	var cached = client.rows("player")
	result("players", cached.size())
	for row in cached:
		var p = decode_player(row)
		result("player", "%s %.2f %.2f %s %s" % [p.identity, p.x, p.y, p.online, p.name])
	result("messages", client.count("message"))
	for m in messages:
		result("message", "%s %s" % [m.sender, m.text])


func move_with_keys(delta):
	var mine = players.get(me)
	if mine == null:
		return
	var dir = Vector2(
		int(Input.is_action_pressed("ui_right")) - int(Input.is_action_pressed("ui_left")),
		int(Input.is_action_pressed("ui_down")) - int(Input.is_action_pressed("ui_up")))
	if dir != Vector2.ZERO:
		var to = Vector2(mine.x, mine.y) + dir.normalized() * 200.0 * delta
		client.call_reducer("move_to", bsatn_f32(to.x) + bsatn_f32(to.y))


func _draw():
	for p in players.values():
		var color = Color(0.3, 0.8, 0.4) if p.identity == me else Color(0.4, 0.6, 1.0)
		if not p.online:
			color = Color(0.5, 0.5, 0.5)
		draw_circle(Vector2(p.x, p.y), 12.0, color)


func result(key, value):
	print("stdb-result %s %s" % [key, value])


func fail(message):
	if quitting:
		return
	result("error", message)
	finish(1)


func finish(code):
	quitting = true
	client = null  # frees the connection (the instance's destructor); nothing runs after it
	OS.exit_code = code
	get_tree().quit()


func status_name(status):
	match status:
		STATUS_COMMITTED:
			return "committed"
		STATUS_FAILED:
			return "failed"
		2:
			return "out_of_energy"
	return "no_answer"


# ---- BSATN, the module's binary format (little-endian; a String is a u32 length + UTF-8) ----

static func bsatn_string(s):
	var b = StreamPeerBuffer.new()
	var utf8 = s.to_utf8()
	b.put_u32(utf8.size())
	b.put_data(utf8)
	return b.data_array


static func bsatn_f32(v):
	var b = StreamPeerBuffer.new()
	b.put_float(v)
	return b.data_array


# An Identity is 32 bytes, little-endian; its hex form is big-endian.
static func identity_hex(row, at):
	var hex = ""
	for i in range(31, -1, -1):
		hex += "%02x" % row[at + i]
	return hex


static func read_string(b):
	var n = b.get_u32()
	return b.get_utf8_string(n)


# player: identity Identity, name String, x f32, y f32, online bool
static func decode_player(row):
	var b = StreamPeerBuffer.new()
	b.data_array = row
	b.seek(32)
	var name = read_string(b)
	var x = b.get_float()
	var y = b.get_float()
	var online = b.get_u8() != 0
	return {"identity": identity_hex(row, 0), "name": name, "x": x, "y": y, "online": online}


# message: sender Identity, sent Timestamp (i64 microseconds), text String
static func decode_message(row):
	var b = StreamPeerBuffer.new()
	b.data_array = row
	b.seek(32)
	var sent_us = b.get_64()
	return {"sender": identity_hex(row, 0), "sent_us": sent_us, "text": read_string(b)}
