/*
 * chat.c — the quickstart chat, in C, on the typed shims that stdb-bindings-gen generates for the
 * `quickstart` module (quickstart.h / quickstart.c).
 *
 * It connects, keeps its token between runs (so the same identity, and the name it chose, come
 * back next time), shows the last messages and who is online, then prints every message and every
 * user going online or offline, changing their name, or joining for the first time.
 *
 * Interactive (the default): type a message and press Enter; commands:
 *   /name NAME   set your name          /who   list the users
 *   /quit        leave (or Ctrl-D)      /help  this list
 * Scripted (--script FILE, or - for stdin): the same lines, run one after the other, plus
 *   /wait TEXT   wait until a line containing TEXT has been printed (since the previous /wait)
 *   /sleep MS    keep ticking for MS milliseconds
 *   # ...        a comment
 * In a script a message waits until it comes back from the server as a row, `/name` waits for
 * its outcome, and anything that fails or times out (--timeout SECONDS, default 20) ends the run
 * with exit code 1. The script ends with /quit or at its end.
 *
 * Options: --uri URI (default $STDB_URI, else http://127.0.0.1:3000), --database NAME (default
 * $STDB_DATABASE, else quickstart), --profile NAME (which saved token to use, default "chat"),
 * --forget (delete the saved token first: a new identity).
 * The token is kept by the library's credentials store (stdb_credentials_save/load): file
 * `$STDB_CLIENT_CONFIG_DIR/PROFILE-HOST-PORT.token`, else under `$XDG_CONFIG_HOME/stdb-client/`,
 * else `~/.config/stdb-client/`.
 */
#include "quickstart.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 4096
#define HISTORY 10

typedef enum { WAIT_NONE, WAIT_TEXT, WAIT_OWN_MESSAGE, WAIT_REDUCER, WAIT_SLEEP } wait_kind;

typedef struct {
    quickstart_db db;
    bool db_ready;
    stdb_identity me;
    char me_hex[65];
    bool connected, applied, ended, failed, quit;
    char key[160];
    bool had_token;

    /* Every line printed so far (for /wait), and where the next /wait starts looking. */
    char *lines[MAX_LINES];
    int n_lines, wait_from;

    /* Scripted mode. */
    FILE *script;
    int script_line;
    wait_kind waiting;
    char wait_text[512];
    double deadline, timeout;
    const char *pending_reducer;

    /* Interactive input, split into lines. */
    char input[4096];
    size_t input_len;
    bool input_eof;
} chat_t;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Prints one line and remembers it for /wait. */
static void out(chat_t *c, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    puts(buf);
    fflush(stdout);
    if (c->n_lines < MAX_LINES) {
        c->lines[c->n_lines] = strdup(buf);
        if (c->lines[c->n_lines]) c->n_lines++;
    }
}

static void fail(chat_t *c, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "chat: %s\n", buf);
    c->failed = true;
}

/* A user's display name: their name, or "user" and the start of their identity. */
static void display_name(const stdb_identity *id, const quickstart_string *name, char *buf, size_t cap) {
    char hex[65];
    if (name->len > 0) {
        snprintf(buf, cap, "%.*s", (int)name->len, name->data);
        return;
    }
    stdb_identity_to_hex(id, hex);
    snprintf(buf, cap, "user %.8s", hex);
}

static void name_of(chat_t *c, const stdb_identity *id, char *buf, size_t cap) {
    bool found = false;
    quickstart_Player p;
    quickstart_string none = {NULL, 0};
    if (quickstart_player_find_by_identity(&c->db, id, &found, &p) == 0 && found) {
        display_name(id, &p.name, buf, cap);
        quickstart_Player_free(&p);
    } else {
        display_name(id, &none, buf, cap);
    }
}

static bool is_me(const chat_t *c, const stdb_identity *id) { return memcmp(id->bytes, c->me.bytes, 32) == 0; }

static void print_message(chat_t *c, const quickstart_Message *m, const char *tag) {
    char when[64], who[128];
    quickstart_timestamp_format(&m->sent, when, sizeof when);
    name_of(c, &m->sender, who, sizeof who);
    /* when: 2026-01-02T03:04:05.678901+00:00 -> 03:04:05 */
    out(c, "%s[%.8s] %s: %.*s", tag, strlen(when) >= 19 ? when + 11 : when, who, (int)m->text.len, m->text.data);
}

/* ---- rows ----------------------------------------------------------------------------------- */

static void on_message(void *ud, const stdb_connection *conn, const stdb_event *event, const quickstart_Message *m) {
    chat_t *c = ud;
    (void)conn;
    if (stdb_event_kind(event) == STDB_EVENT_SUBSCRIBE_APPLIED) return; /* history: printed by on_applied */
    print_message(c, m, "");
    if (c->waiting == WAIT_OWN_MESSAGE && is_me(c, &m->sender) && m->text.len == strlen(c->wait_text) &&
        memcmp(m->text.data, c->wait_text, m->text.len) == 0)
        c->waiting = WAIT_NONE;
}

static void on_player_insert(void *ud, const stdb_connection *conn, const stdb_event *event, const quickstart_Player *p) {
    chat_t *c = ud;
    char who[128];
    (void)conn;
    if (stdb_event_kind(event) == STDB_EVENT_SUBSCRIBE_APPLIED) return;
    display_name(&p->identity, &p->name, who, sizeof who);
    out(c, "* %s joined for the first time%s", who, p->online ? " and is online" : "");
}

static void on_player_update(void *ud, const stdb_connection *conn, const stdb_event *event, const quickstart_Player *old,
                             const quickstart_Player *new_row) {
    chat_t *c = ud;
    char before[128], after[128];
    (void)conn;
    (void)event;
    display_name(&old->identity, &old->name, before, sizeof before);
    display_name(&new_row->identity, &new_row->name, after, sizeof after);
    if (!quickstart_string_eq(&old->name, &new_row->name))
        out(c, "* %s is now known as %s%s", before, after, is_me(c, &new_row->identity) ? " (you)" : "");
    if (old->online != new_row->online) out(c, "* %s is %s", after, new_row->online ? "online" : "offline");
}

typedef struct {
    quickstart_Message *items;
    size_t n, cap;
} messages_t;

static bool collect_message(void *ud, const quickstart_Message *m) {
    messages_t *ms = ud;
    if (ms->n == ms->cap) {
        size_t cap = ms->cap ? ms->cap * 2 : 64;
        quickstart_Message *p = realloc(ms->items, cap * sizeof *p);
        if (!p) return false;
        ms->items = p;
        ms->cap = cap;
    }
    ms->items[ms->n].sender = m->sender;
    ms->items[ms->n].sent = m->sent;
    ms->items[ms->n].text.data = NULL;
    ms->items[ms->n].text.len = 0;
    if (quickstart_string_from(m->text.data, m->text.len, &ms->items[ms->n].text) != 0) return false;
    ms->n++;
    return true;
}

static int by_time(const void *a, const void *b) {
    int64_t x = ((const quickstart_Message *)a)->sent.micros_since_unix_epoch;
    int64_t y = ((const quickstart_Message *)b)->sent.micros_since_unix_epoch;
    return (x > y) - (x < y);
}

typedef struct {
    chat_t *c;
    char online[2048];
    size_t online_len;
    int n_online, n_offline;
} who_t;

static bool collect_player(void *ud, const quickstart_Player *p) {
    who_t *w = ud;
    char name[128];
    if (!p->online) {
        w->n_offline++;
        return true;
    }
    display_name(&p->identity, &p->name, name, sizeof name);
    if (w->online_len + strlen(name) + 8 < sizeof w->online) {
        w->online_len += (size_t)snprintf(w->online + w->online_len, sizeof w->online - w->online_len, "%s%s%s",
                                          w->n_online ? ", " : "", name, is_me(w->c, &p->identity) ? " (you)" : "");
    }
    w->n_online++;
    return true;
}

static void print_who(chat_t *c) {
    who_t w;
    memset(&w, 0, sizeof w);
    w.c = c;
    quickstart_player_iter(&c->db, collect_player, &w);
    out(c, "* online (%d): %s; %d offline", w.n_online, w.online, w.n_offline);
}

static void on_applied(void *ud, const stdb_connection *conn, const stdb_event *event) {
    chat_t *c = ud;
    messages_t ms = {NULL, 0, 0};
    bool found = false;
    quickstart_Player me;
    size_t i;
    (void)conn;
    (void)event;
    if (quickstart_message_iter(&c->db, collect_message, &ms) != 0) fail(c, "reading the messages: %s", quickstart_last_error());
    qsort(ms.items, ms.n, sizeof *ms.items, by_time);
    if (ms.n > HISTORY) out(c, "(%zu earlier messages)", ms.n - HISTORY);
    for (i = ms.n > HISTORY ? ms.n - HISTORY : 0; i < ms.n; i++) print_message(c, &ms.items[i], "  ");
    for (i = 0; i < ms.n; i++) quickstart_Message_free(&ms.items[i]);
    free(ms.items);
    print_who(c);
    if (quickstart_player_find_by_identity(&c->db, &c->me, &found, &me) == 0 && found) {
        if (me.name.len) out(c, "* welcome back, %.*s", (int)me.name.len, me.name.data);
        else out(c, "* you have no name yet: /name NAME");
        quickstart_Player_free(&me);
    }
    c->applied = true;
}

/* ---- reducer outcomes of our own calls --------------------------------------------------------- */

static void reducer_outcome(chat_t *c, const stdb_reducer_event *reducer, const char *what) {
    stdb_reducer_info info;
    if (!stdb_reducer_event_info(reducer, &info) || !is_me(c, &info.caller_identity)) return;
    if (info.status != STDB_STATUS_COMMITTED) {
        out(c, "! %s failed: %.*s", what, (int)info.error_message.len, (const char *)info.error_message.data);
        if (c->script) fail(c, "line %d: %s failed", c->script_line, what);
    }
    if (c->waiting == WAIT_REDUCER && c->pending_reducer && strcmp(c->pending_reducer, what) == 0) c->waiting = WAIT_NONE;
}

static void on_set_name(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer,
                        const char *name) {
    (void)conn;
    (void)event;
    (void)name;
    reducer_outcome(ud, reducer, "set_name");
}

static void on_say(void *ud, const stdb_connection *conn, const stdb_event *event, const stdb_reducer_event *reducer,
                   const char *text) {
    (void)conn;
    (void)event;
    (void)text;
    reducer_outcome(ud, reducer, "say");
}

/* ---- connection --------------------------------------------------------------------------------- */

static void on_connect(void *ud, const stdb_connection *conn, const stdb_identity *identity, const char *token,
                       size_t token_len, const stdb_connection_id *cid) {
    chat_t *c = ud;
    stdb_subscription_builder *sb;
    stdb_subscription *sub = NULL;
    stdb_bytes queries[2] = {{(const uint8_t *)"SELECT * FROM player", 20}, {(const uint8_t *)"SELECT * FROM message", 21}};
    (void)cid;
    c->me = *identity;
    stdb_identity_to_hex(identity, c->me_hex);
    c->connected = true;
    if (stdb_credentials_save(c->key, strlen(c->key), token, token_len) != STDB_OK)
        fprintf(stderr, "chat: could not save the token: %s\n", stdb_last_error());
    out(c, "* connected as %s (%s)", c->me_hex,
        c->had_token ? "the saved identity" : "a new identity; its token is saved for next time");

    sb = stdb_subscription_builder_new(conn);
    stdb_subscription_builder_on_applied(sb, on_applied, c, NULL);
    if (stdb_subscription_builder_subscribe(sb, queries, 2, &sub) != STDB_OK) fail(c, "subscribe: %s", stdb_last_error());
    stdb_subscription_free(sub);
}

static void on_connect_error(void *ud, const stdb_connection *conn, int32_t kind, uint16_t status, const char *msg, size_t len) {
    chat_t *c = ud;
    (void)conn;
    fail(c, "cannot connect: %.*s", (int)len, msg);
    if (kind == STDB_CONNECT_ERROR_HTTP_STATUS && (status == 401 || status == 400) && c->had_token)
        fprintf(stderr, "chat: the server rejected the saved token (another server?); run again with --forget\n");
    c->ended = true;
}

static void on_disconnect(void *ud, const stdb_connection *conn, const char *msg, size_t len) {
    chat_t *c = ud;
    (void)conn;
    if (msg && !c->quit) fail(c, "disconnected: %.*s", (int)len, msg);
    else out(c, "* disconnected");
    c->ended = true;
}

/* ---- commands ------------------------------------------------------------------------------------- */

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
}

static void start_wait(chat_t *c, wait_kind kind, const char *text) {
    c->waiting = kind;
    snprintf(c->wait_text, sizeof c->wait_text, "%s", text ? text : "");
    c->deadline = now_s() + c->timeout;
}

/* Runs one input line: a command or a message. */
static void run_line(chat_t *c, const stdb_connection *conn, char *line) {
    bool scripted = c->script != NULL;
    trim(line);
    while (*line == ' ' || *line == '\t') line++;
    if (!*line || (scripted && line[0] == '#')) return;
    if (strncmp(line, "/name ", 6) == 0) {
        if (quickstart_reducer_set_name(conn, line + 6, STDB_CALL_FULL_UPDATE) != 0)
            out(c, "! set_name: %s", quickstart_last_error());
        else if (scripted) {
            c->pending_reducer = "set_name";
            start_wait(c, WAIT_REDUCER, "set_name");
        }
    } else if (strcmp(line, "/who") == 0) {
        print_who(c);
    } else if (strcmp(line, "/quit") == 0) {
        c->quit = true;
    } else if (strcmp(line, "/help") == 0) {
        out(c, "* type a message, or /name NAME, /who, /quit");
    } else if (scripted && strncmp(line, "/wait ", 6) == 0) {
        start_wait(c, WAIT_TEXT, line + 6);
    } else if (scripted && strncmp(line, "/sleep ", 7) == 0) {
        start_wait(c, WAIT_SLEEP, NULL);
        c->deadline = now_s() + atof(line + 7) / 1000.0;
    } else if (line[0] == '/') {
        out(c, "! unknown command %s (try /help)", line);
        if (scripted) fail(c, "line %d: unknown command %s", c->script_line, line);
    } else if (quickstart_reducer_say(conn, line, STDB_CALL_FULL_UPDATE) != 0) {
        out(c, "! say: %s", quickstart_last_error());
        if (scripted) fail(c, "line %d: say: %s", c->script_line, quickstart_last_error());
    } else if (scripted) {
        start_wait(c, WAIT_OWN_MESSAGE, line);
    }
}

/* Scripted mode: checks the current wait, then runs lines until one waits or the script ends. */
static void step_script(chat_t *c, const stdb_connection *conn) {
    char line[1024];
    if (c->waiting == WAIT_TEXT) {
        int i;
        for (i = c->wait_from; i < c->n_lines; i++) {
            if (strstr(c->lines[i], c->wait_text)) {
                c->waiting = WAIT_NONE;
                c->wait_from = i + 1;
                break;
            }
        }
    }
    if (c->waiting != WAIT_NONE) {
        if (now_s() < c->deadline) return;
        if (c->waiting == WAIT_SLEEP) {
            c->waiting = WAIT_NONE;
        } else {
            fail(c, "line %d: timed out after %.0f s waiting for %s \"%s\"", c->script_line, c->timeout,
                 c->waiting == WAIT_TEXT ? "a line containing" : c->waiting == WAIT_OWN_MESSAGE ? "our own message" : "the outcome of",
                 c->wait_text);
            return;
        }
    }
    while (c->waiting == WAIT_NONE && !c->quit && !c->failed) {
        if (!fgets(line, sizeof line, c->script)) {
            c->quit = true;
            return;
        }
        c->script_line++;
        run_line(c, conn, line);
    }
}

/* Interactive mode: runs every complete line typed so far (waits at most `ms` for input). */
static void read_input(chat_t *c, const stdb_connection *conn, int ms) {
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    char *nl;
    if (c->input_eof || poll(&p, 1, ms) <= 0) {
        if (c->input_eof) {
            struct timespec t = {0, ms * 1000000L};
            nanosleep(&t, NULL);
        }
        return;
    }
    if (p.revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(STDIN_FILENO, c->input + c->input_len, sizeof c->input - 1 - c->input_len);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) return;
            c->input_eof = true;
            c->quit = true; /* Ctrl-D */
            return;
        }
        c->input_len += (size_t)n;
        c->input[c->input_len] = 0;
    }
    while ((nl = memchr(c->input, '\n', c->input_len)) != NULL) {
        size_t len = (size_t)(nl - c->input) + 1;
        *nl = 0;
        run_line(c, conn, c->input);
        memmove(c->input, c->input + len, c->input_len - len);
        c->input_len -= len;
    }
    if (c->input_len == sizeof c->input - 1) c->input_len = 0; /* an overlong line: dropped */
}

/* "chat" + "http://127.0.0.1:3000" -> "chat-127.0.0.1-3000" (a valid credentials key). */
static void make_key(char *key, size_t cap, const char *profile, const char *uri) {
    const char *host = strstr(uri, "://");
    size_t n;
    host = host ? host + 3 : uri;
    n = (size_t)snprintf(key, cap, "%s-", profile);
    for (; *host && *host != '/' && n + 1 < cap; host++) {
        char ch = *host;
        key[n++] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_') ? ch : '-';
    }
    key[n] = 0;
}

static int usage(void) {
    fprintf(stderr, "usage: chat [--uri URI] [--database NAME] [--profile NAME] [--forget] [--script FILE|-] [--timeout SECONDS]\n");
    return 2;
}

int main(int argc, char **argv) {
    static chat_t c;
    const char *uri = getenv("STDB_URI"), *db = getenv("STDB_DATABASE"), *profile = "chat", *script = NULL;
    bool forget = false, found = false;
    stdb_buffer token = {NULL, 0};
    stdb_connection_builder *b;
    stdb_connection *conn = NULL;
    double quit_deadline = 0;
    int i;

    c.timeout = 20;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--forget") == 0) forget = true;
        else if (!v) return usage();
        else if (strcmp(a, "--uri") == 0) uri = v, i++;
        else if (strcmp(a, "--database") == 0) db = v, i++;
        else if (strcmp(a, "--profile") == 0) profile = v, i++;
        else if (strcmp(a, "--script") == 0) script = v, i++;
        else if (strcmp(a, "--timeout") == 0) c.timeout = atof(v), i++;
        else return usage();
    }
    if (!uri) uri = "http://127.0.0.1:3000";
    if (!db) db = "quickstart";
    if (script) {
        c.script = strcmp(script, "-") == 0 ? stdin : fopen(script, "r");
        if (!c.script) {
            fprintf(stderr, "chat: cannot open %s: %s\n", script, strerror(errno));
            return 2;
        }
    }

    make_key(c.key, sizeof c.key, profile, uri);
    if (forget) stdb_credentials_remove(c.key, strlen(c.key));
    if (stdb_credentials_load(c.key, strlen(c.key), &found, &token) != STDB_OK) {
        fprintf(stderr, "chat: reading the saved token: %s\n", stdb_last_error());
        found = false;
    }
    c.had_token = found;

    b = stdb_connection_builder_new();
    if (quickstart_register(b) != 0) {
        fprintf(stderr, "chat: %s\n", quickstart_last_error());
        stdb_connection_builder_free(b);
        return 1;
    }
    stdb_connection_builder_set_uri(b, uri, strlen(uri));
    stdb_connection_builder_set_module_name(b, db, strlen(db));
    if (found) stdb_connection_builder_set_token(b, (const char *)token.data, token.len);
    stdb_buffer_free(&token);
    stdb_connection_builder_on_connect(b, on_connect, &c, NULL);
    stdb_connection_builder_on_connect_error(b, on_connect_error, &c, NULL);
    stdb_connection_builder_on_disconnect(b, on_disconnect, &c, NULL);
    if (stdb_connection_builder_build(b, &conn) != STDB_OK) {
        fprintf(stderr, "chat: %s\n", stdb_last_error());
        return 1;
    }
    if (quickstart_db_init(&c.db, conn) != 0) {
        fprintf(stderr, "chat: %s\n", quickstart_last_error());
        stdb_connection_free(conn);
        return 1;
    }
    quickstart_message_on_insert(&c.db, on_message, &c, NULL, NULL);
    quickstart_player_on_insert(&c.db, on_player_insert, &c, NULL, NULL);
    quickstart_player_on_update(&c.db, on_player_update, &c, NULL, NULL);
    quickstart_on_reducer_set_name(conn, on_set_name, &c, NULL, NULL);
    quickstart_on_reducer_say(conn, on_say, &c, NULL, NULL);
    if (!c.script) fprintf(stderr, "connecting to %s, database %s (/help for commands)\n", uri, db);

    /* The loop: one frame_tick per ~16 ms (interactive input is polled for the rest of the frame). */
    c.deadline = now_s() + c.timeout; /* for connecting */
    while (!c.ended) {
        if (stdb_frame_tick(conn) != STDB_OK) break;
        if (c.failed && !c.quit) c.quit = true;
        if (c.quit) {
            if (quit_deadline == 0) {
                quit_deadline = now_s() + 5;
                stdb_connection_disconnect(conn);
            } else if (now_s() > quit_deadline) {
                break;
            }
        } else if (!c.applied) {
            if (c.script && now_s() > c.deadline) fail(&c, "not connected and subscribed after %.0f s", c.timeout);
        } else if (c.script) {
            step_script(&c, conn);
        }
        if (c.script || !c.applied || c.quit) {
            struct timespec t = {0, 16 * 1000 * 1000};
            nanosleep(&t, NULL);
        } else {
            read_input(&c, conn, 16);
        }
    }
    if (c.script && c.script != stdin) fclose(c.script);
    quickstart_db_free(&c.db);
    stdb_connection_free(conn);
    for (i = 0; i < c.n_lines; i++) free(c.lines[i]);
    return c.failed ? 1 : 0;
}
