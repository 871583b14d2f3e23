#!/usr/bin/env python3
"""The Java interop matrix (CXF, Metro): judge cells, render the table, hold the expectations.

Used by scripts/interop-java.sh; standard library only.

  matrix.py judge-java   …  one cell run by a peer's client (peer -> peer or peer -> wsrx serve)
  matrix.py judge-wsrx   …  one cell run by `wsrx send` against a peer's server
  matrix.py render RESULTS.tsv > target/interop-matrix.md
  matrix.py check RESULTS.tsv EXPECTED   exit 1 on a regression, an unexpected pass, a moved step
  matrix.py update RESULTS.tsv EXPECTED  rewrite EXPECTED from the run (refuses regressions)
  matrix.py readme README.md MATRIX.md [--check]   the README's Java interop section

A cell's result is `pass` or its first failing step (a fixed, ordered vocabulary, see STEPS)
with the peer's own message. The expectations file (interop/expected-matrix.txt) holds one
line per peer, cell and direction: `pass` or `xfail <step>`; `check` fails when a cell does
worse (a regression) and when it does better than expected (the file must then be updated,
so the expectations only ever get better).
"""
import json
import os
import re
import sys

# Directions, as written in the expectations file and the results.
DIRECTIONS = ("peer-peer", "wsrx-peer", "peer-wsrx")
ARROW = {"peer-peer": "{p} → {p}", "wsrx-peer": "wsrx → {p}", "peer-wsrx": "{p} → wsrx"}
VERSION = {"cxf": "Apache CXF 4.2.3", "metro": "Eclipse Metro 4.0.4"}

# The steps of a cell, in the order a session goes through them. `message N` / `reply N` are
# the N-th application message and (request-reply) its reply; `delivery` is the receiving
# application's log (every message exactly once, in order).
ORDER = ["setup", "RST", "CreateSequence", "message", "reply", "acks", "LastMessage", "Close",
         "Terminate", "Cancel", "delivery"]
STEP_RE = re.compile(r"^(setup|RST|CreateSequence|message \d+|reply \d+|acks|LastMessage|Close|"
                     r"Terminate|Cancel|delivery)$")


def step_key(step):
    """Sort key of a step: its place in ORDER, message/reply numbers interleaved."""
    word, _, num = step.partition(" ")
    if word in ("message", "reply"):
        return (ORDER.index("message"), int(num), 0 if word == "message" else 1)
    return (ORDER.index(word), 0, 0)


def clean(text, limit=400):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def peer_words(text):
    """A log line reduced to the peer's message: without CXF's interceptor preamble, Metro's
    timestamp lines and Java package names."""
    text = clean(text, 2000)
    text = re.sub(r"(WARNING|SEVERE|INFO): Interceptor for \S+ has thrown exception, unwinding now ", "", text)
    text = re.sub(r"\b[A-Z][a-z]{2} \d\d, \d{4} \d+:\d\d:\d\d [AP]M \S+ \S+ ", "", text)
    text = re.sub(r"\b(?:[a-z_]\w*\.)+([A-Z]\w*(?:Exception|Fault|Error))\b", r"\1", text)
    # A Java cause chain "A <- B <- C" (Report.describe) without the links that repeat a message.
    parts, seen = [], set()
    for part in text.split(" <- "):
        msg = part.split(": ", 1)[-1]
        if msg not in seen:
            seen.add(msg)
            parts.append(part)
    return clean(" <- ".join(parts), 1000)


def normalise(text):
    """A message without what changes from run to run (ids, ports, times), for the README."""
    text = re.sub(r"urn:uuid:[0-9a-fA-F-]+|uuid:[0-9a-fA-F-]{36}", "urn:uuid:…", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", "TIME", text)
    text = re.sub(r"\b[A-Z][a-z]{2} \d\d, \d{4} \d+:\d\d:\d\d [AP]M\b", "TIME", text)
    text = re.sub(r"\b\d+ ms\b", "N ms", text)
    return text


# --- classifying the wire ---------------------------------------------------------------

ACTION_RE = re.compile(r"<(?:[\w.-]+:)?Action\b[^>]*>\s*([^<\s]+)")


def kind_of(action):
    """The step a request with this WS-Addressing action belongs to (None: unknown)."""
    a = action or ""
    if re.search(r"/RST/(SCT/)?Cancel$|/RST/Cancel$", a):
        return "Cancel"
    if re.search(r"/RST/(SCT|Issue)$|/RST/SCT/Amend$|/RST/Renew$|/RST/SCT/Renew$", a):
        return "RST"
    if a.endswith("/CreateSequence"):
        return "CreateSequence"
    if a.endswith("/CloseSequence"):
        return "Close"
    if a.endswith("/TerminateSequence"):
        return "Terminate"
    if a.endswith("/LastMessage"):
        return "LastMessage"
    if a.endswith("/AckRequested") or a.endswith("/SequenceAcknowledgement"):
        return "acks"
    if a.startswith("urn:example:echo"):
        return "message"
    return None


def capture_messages(capture, skip=0):
    """(direction, action, is_fault) of every message of a capture (after the first `skip`)."""
    out = []
    if not capture or not os.path.exists(os.path.join(capture, "index.tsv")):
        return out
    lines = open(os.path.join(capture, "index.tsv"), encoding="utf-8", errors="replace").read().splitlines()
    for line in lines[skip:]:
        f = line.split("\t")
        if len(f) < 2:
            continue
        try:
            body = open(os.path.join(capture, f[0]), encoding="utf-8", errors="replace").read()
        except OSError:
            body = ""
        m = ACTION_RE.search(body)
        action = m.group(1) if m else None
        if action is None and len(f) > 3:
            m = re.search(r'action="([^"]+)"', f[3])
            action = m.group(1) if m else (f[4] if len(f) > 4 and f[4] != "-" else None)
        fault = re.search(r"<(?:[\w.-]+:)?Fault\b", body) is not None
        out.append((f[1], action, fault))
    return out


def wire_step(capture):
    """Where a client's session stopped on the wire: the request answered by the first fault,
    else the last request sent (RST, CreateSequence, acks, Close, …), or None."""
    last = None
    for direction, action, fault in capture_messages(capture):
        if direction == "REQ_OUT":
            last = kind_of(action) or last
        elif direction == "RESP_IN" and fault and last:
            return last
    return last


def java_step(step, capture):
    """A peer client's step made precise: its session set-up happens inside `message 1` (RST,
    CreateSequence), Metro's `close()` does acks, Close, Terminate and Cancel together."""
    s = step.strip()
    s = re.sub(r"^(close|LastMessage|terminate) .*", r"\1", s)
    s = {"close": "Close", "terminate": "Terminate", "cancel": "Cancel"}.get(s, s)
    wire = wire_step(capture) if capture else None
    if s == "message 1":
        # No application message on the wire: the session set-up failed, at its last step
        # sent (whatever the client did after giving up, such as Metro's SCT Cancel).
        sent = [kind_of(a) for d, a, _ in capture_messages(capture) if d == "REQ_OUT"]
        if "message" not in sent:
            for step in ("CreateSequence", "RST"):
                if step in sent:
                    return step
    if s.startswith("close (") :
        return wire if wire in ("acks", "LastMessage", "Close", "Terminate", "Cancel") else "Close"
    if not STEP_RE.match(s):
        return "setup"
    return s


# --- delivery -----------------------------------------------------------------------------

def delivered_texts(path, endpoint=None, sequence=None, skip=0, prefix=""):
    """Texts the receiving application logged: the Java peers' TSV or wsrx serve's JSON lines."""
    texts = []
    if not path or not os.path.exists(path):
        return texts
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()[skip:]
    for line in lines:
        if path.endswith(".jsonl"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            seq, text, ep = rec.get("sequence"), rec.get("text") or "", None
        else:
            f4 = line.split("\t")
            if len(f4) < 4:
                continue
            ep, seq, text = f4[0], f4[1], f4[3]
        if endpoint and ep != endpoint:
            continue
        if sequence and seq not in (sequence, "-"):
            continue
        if text.startswith(prefix):
            texts.append(text)
    return texts


def delivery_error(got, want, inorder=True):
    """None when the application got every message exactly once (and in order, if asked)."""
    if got == want or (not inorder and sorted(got) == sorted(want)):
        return None
    return "delivered [%s], expected [%s] (each exactly once%s)" % (
        ", ".join(got), ", ".join(want), ", in order" if inorder else "")


# --- judging one cell ----------------------------------------------------------------------

def row(args, verdict, step, peer_msg, wsrx_msg):
    return "\t".join([args["peer"], args["direction"], args["cell"], args["profile"], args["mode"],
                      verdict, step, clean(peer_msg), clean(wsrx_msg)])


def judge_java(a):
    """A cell run by the peer's client: its RESULT line, the client's capture, the delivery."""
    line = a.get("result") or ""
    m = re.match(r"RESULT (\S+) (PASS|FAIL)\s?(.*)", line)
    count = int(a["count"])
    if not m:
        return row(a, "fail", "setup", "no result from the client", a.get("other", ""))
    if m.group(2) == "FAIL":
        step, _, msg = m.group(3).partition(": ")
        return row(a, "fail", java_step(step, a.get("capture")), peer_words(msg), a.get("other", ""))
    want = ["%s-%d" % (a["cell"], i) for i in range(1, count + 1)]
    got = delivered_texts(a.get("delivered"), endpoint=a.get("endpoint"), prefix=a["cell"] + "-")
    err = delivery_error(got, want)
    if err:
        return row(a, "fail", "delivery", err, a.get("other", ""))
    return row(a, "pass", "", m.group(3), a.get("other", ""))


def judge_wsrx(a):
    """A cell run by `wsrx send`: what its output reached, then the peer's delivery log."""
    try:
        out = re.sub(r"\x1b\[[0-9;]*m", "", open(a["log"], encoding="utf-8", errors="replace").read())
    except OSError:
        out = ""
    lines = [l for l in out.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("wsrx:") or " ERROR " in l]
    wsrx_msg = errors[-1] if errors else (lines[-1] if lines else "exit " + a.get("exit", "?"))
    count = int(a["count"])
    created = re.search(r"^sequence (\S+) created", out, re.M)
    step = None
    if not created:
        # Before the sequence: the peer server's capture tells whether the token exchange got
        # as far as a CreateSequence.
        seen = [kind_of(act) for d, act, _ in capture_messages(a.get("server_capture"), int(a.get("server_skip", "0")))
                if d == "REQ_IN"]
        step = "RST" if a.get("bootstrap") == "1" and "CreateSequence" not in seen else "CreateSequence"
    else:
        for i in range(1, count + 1):
            pat = r"^\s*#%d (echoed|stored and sent)" % i
            if not re.search(pat, out, re.M):
                step = "message %d" % i
                break
        if step is None and not re.search(r"^all %d messages acknowledged" % count, out, re.M):
            step = "acks"
        if step is None and a.get("rm") == "1.1" and not re.search(r"^sequence closed", out, re.M):
            step = "Close"
        if step is None and not re.search(r"^sequence terminated", out, re.M):
            step = "Terminate"
        if step is None and a.get("bootstrap") == "1" and not re.search(
                r"^security context cancelled", out, re.M):
            step = "Cancel"
    if step is None and a.get("exit", "0") != "0":
        step = "Terminate"
    if step is None:
        want = ["message %d of %d" % (i, count) for i in range(1, count + 1)]
        got = delivered_texts(a.get("delivered"), endpoint=a["profile"], sequence=created.group(1),
                              skip=int(a.get("skip", "0")), prefix="message ")
        err = delivery_error(got, want, a.get("inorder", "1") == "1")
        if err:
            return row(a, "fail", "delivery", err, wsrx_msg)
        note = "" if got == want else "delivered in arrival order %s (the profile does not ask InOrder)" % got
        return row(a, "pass", "", note, wsrx_msg)
    return row(a, "fail", step, peer_words(a.get("other", "")), wsrx_msg)


# --- results, expectations, rendering -----------------------------------------------------

def read_results(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 9:
            rows.append(dict(zip(["peer", "direction", "cell", "profile", "mode", "verdict", "step",
                                  "peer_msg", "wsrx_msg"], f)))
    return rows


def read_expected(path):
    """{(peer, cell, direction): ("pass", None) | ("xfail", [steps…])}; `a|b` lists steps a
    cell is known to stop at from run to run."""
    exp = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split(None, 4)
        if len(f) < 4 or f[2] not in DIRECTIONS or f[3] not in ("pass", "xfail") \
                or (f[3] == "xfail") != (len(f) == 5):
            sys.exit("%s:%d: expected `peer cell direction pass|xfail STEP`: %s" % (path, n, line))
        steps = f[4].split("|") if f[3] == "xfail" else None
        for s in steps or []:
            if not STEP_RE.match(s):
                sys.exit("%s:%d: unknown step %r (steps: %s)" % (path, n, s, ", ".join(ORDER)))
        exp[(f[0], f[1], f[2])] = (f[3], steps)
    return exp


def in_scope(key, scope):
    """Whether an expectation belongs to this run: its peer ran, and its direction did."""
    peers = [x[5:] for x in scope if x.startswith("peer=")]
    if peers and key[0] not in peers:
        return False
    return key[2] == "peer-peer" or "peer-peer-only" not in scope


def compare(rows, exp, scope=()):
    """Every cell not as expected, one line each (an empty list: the run is as expected)."""
    problems, seen = [], set()
    for r in rows:
        key = (r["peer"], r["cell"], r["direction"])
        seen.add(key)
        name = "%s %s %s" % key
        if key not in exp:
            problems.append("NEW %s: %s (add it to the expectations)" % (name, r["verdict"] + (" " + r["step"] if r["step"] else "")))
            continue
        want, steps = exp[key]
        if r["verdict"] == "pass":
            if want == "xfail":
                problems.append("UNEXPECTED PASS %s (expected xfail %s): update the expectations" % (name, "|".join(steps)))
            continue
        if want == "pass":
            problems.append("REGRESSION %s: expected pass, failed at %s: %s" % (name, r["step"], r["peer_msg"] or r["wsrx_msg"]))
        elif r["step"] not in steps:
            if step_key(r["step"]) < min(step_key(s) for s in steps):
                problems.append("REGRESSION %s: expected to get to %s, failed earlier at %s: %s"
                                % (name, "|".join(steps), r["step"], r["peer_msg"] or r["wsrx_msg"]))
            else:
                problems.append("PROGRESS %s: expected to fail at %s, got further (fails at %s): update the expectations"
                                % (name, "|".join(steps), r["step"]))
    for key in exp:
        if key not in seen and in_scope(key, scope):
            problems.append("MISSING %s %s %s: in the expectations but not run" % key)
    return problems


def write_expected(path, rows, exp):
    """The file with this run's verdicts: lines of cells that did not run are kept as they are,
    comments too; new cells are appended."""
    results = {(r["peer"], r["cell"], r["direction"]): r for r in rows}

    def line_for(key):
        r = results[key]
        if r["verdict"] == "pass":
            val = "pass"
        else:
            old = exp.get(key)
            # a step listed as one of several alternatives stays listed as such
            val = "xfail " + ("|".join(old[1]) if old and old[0] == "xfail" and r["step"] in old[1] else r["step"])
        return "%-6s %-34s %-10s %s" % (key[0], key[1], key[2], val)

    out, done = [], set()
    lines = open(path, encoding="utf-8").read().splitlines() if os.path.exists(path) else []
    for line in lines:
        f = line.split("#", 1)[0].split()
        key = tuple(f[:3]) if len(f) >= 3 else None
        if key in results:
            out.append(line_for(key))
            done.add(key)
        else:
            out.append(line)
    out += [line_for(k) for k in results if k not in done]
    open(path, "w", encoding="utf-8").write("\n".join(out) + "\n")


def cell_text(r, readme=False):
    if r is None:
        return "–"
    if r["verdict"] == "pass":
        return "pass"
    msg = r["peer_msg"] or r["wsrx_msg"]
    if readme:
        # The innermost cause of a Java chain says what went wrong; the outer links where.
        msg = normalise(msg.split(" <- ")[-1])
        msg = msg if len(msg) <= 160 else msg[:159] + "…"
    return "%s: %s" % (r["step"], msg.replace("|", "\\|")) if msg else r["step"]


def render(rows):
    by = {(r["peer"], r["cell"], r["direction"]): r for r in rows}
    order = []
    for r in rows:
        if (r["peer"], r["cell"]) not in order:
            order.append((r["peer"], r["cell"]))
    lines = ["| peer | cell | " + " | ".join(d for d in DIRECTIONS) + " |",
             "|---|---|---|---|---|"]
    for peer, cell in order:
        lines.append("| %s | `%s` | %s |" % (peer, cell, " | ".join(
            cell_text(by.get((peer, cell, d))) for d in DIRECTIONS)))
    return lines


def counts(rows):
    out = []
    for peer in sorted({r["peer"] for r in rows}, key=lambda p: list(VERSION).index(p) if p in VERSION else 9):
        parts = []
        for d in DIRECTIONS:
            rs = [r for r in rows if r["peer"] == peer and r["direction"] == d]
            if rs:
                parts.append("%s %d/%d" % (ARROW[d].format(p=peer), sum(r["verdict"] == "pass" for r in rs), len(rs)))
        out.append("%s: %s" % (VERSION.get(peer, peer), ", ".join(parts)))
    return out


def cmd_render(path):
    rows = read_results(path)
    print("# Java interop matrix\n")
    print("Written by `scripts/interop-java.sh`. Rows: peer × cell (profile and MEP, "
          "`interop/<peer>/cells.txt`); columns: direction (`peer-peer`: the peer's client to its "
          "own server; `wsrx-peer`: `wsrx send` to the peer's server; `peer-wsrx`: the peer's "
          "client to `wsrx serve`). A cell is `pass` (every step, and delivery exactly once in "
          "order counted by the receiving application) or its first failing step with the "
          "peer's message (wsrx's own message when the peer logged none).\n")
    for c in counts(rows):
        print("- " + c)
    print()
    print("\n".join(render(rows)))
    print("\n## Both sides' messages\n")
    print("| peer | cell | direction | result | step | peer | wsrx |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | `%s` | %s | %s | %s | %s | %s |" % (
            r["peer"], r["cell"], r["direction"], r["verdict"], r["step"] or "–",
            r["peer_msg"].replace("|", "\\|"), r["wsrx_msg"].replace("|", "\\|")))


def parse_matrix(path):
    """The rows of target/interop-matrix.md's second table (the full one)."""
    rows, full = [], False
    for line in open(path, encoding="utf-8"):
        if line.startswith("## Both sides"):
            full = True
            continue
        if not full or not line.startswith("| ") or line.startswith("| peer |"):
            continue
        f = [x.strip() for x in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(f) != 7:
            continue
        f = [x.replace("\\|", "|") for x in f]
        rows.append({"peer": f[0], "cell": f[1].strip("`"), "direction": f[2], "verdict": f[3],
                     "step": "" if f[4] == "–" else f[4], "peer_msg": f[5], "wsrx_msg": f[6],
                     "profile": "", "mode": ""})
    return rows


README_START = "<!-- java-interop-matrix:start -->"
README_END = "<!-- java-interop-matrix:end -->"


def readme_block(rows):
    by = {(r["peer"], r["cell"], r["direction"]): r for r in rows}
    order = []
    for r in rows:
        if (r["peer"], r["cell"]) not in order:
            order.append((r["peer"], r["cell"]))
    out = [README_START,
           "<!-- generated by scripts/interop-java.sh --update-readme from target/interop-matrix.md; "
           "checked against interop/expected-matrix.txt; do not edit -->"]
    out += ["- " + c for c in counts(rows)]
    out += ["", "| peer | cell | %s |" % " | ".join(ARROW[d].format(p="peer") for d in DIRECTIONS),
            "|---|---|---|---|---|"]
    for peer, cell in order:
        out.append("| %s | `%s` | %s |" % (VERSION.get(peer, peer), cell, " | ".join(
            cell_text(by.get((peer, cell, d)), readme=True) for d in DIRECTIONS)))
    out.append(README_END)
    return "\n".join(out)


def cmd_readme(readme, matrix, check):
    text = open(readme, encoding="utf-8").read()
    if README_START not in text or README_END not in text:
        sys.exit("%s has no %s … %s section" % (readme, README_START, README_END))
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = head + readme_block(parse_matrix(matrix)) + tail
    if check:
        # Only the verdicts and steps must agree: the peers' messages are quoted as they were
        # when the README was last regenerated.
        def verdicts(t):
            return re.findall(r"^\| [^|]+ \| `[^`]+` \|.*$", t.split(README_START, 1)[1].split(README_END, 1)[0], re.M)
        def strip(lines):
            return [re.sub(r"(\| (?:pass|[A-Za-z]+(?: \d+)?)): [^|]*(?:\\\|[^|]*)*", r"\1", l) for l in lines]
        if strip(verdicts(text)) != strip(verdicts(new)):
            sys.exit("the README's Java interop section does not match %s: run "
                     "scripts/interop-java.sh --update-readme" % matrix)
        print("README's Java interop section agrees with %s" % matrix)
        return
    open(readme, "w", encoding="utf-8").write(new)
    print("rewrote the Java interop section of %s" % readme)


def kv(argv):
    a = {}
    for item in argv:
        k, _, v = item.partition("=")
        a[k.lstrip("-")] = v
    return a


def main(argv):
    if not argv:
        sys.exit(__doc__)
    cmd, rest = argv[0], argv[1:]
    if cmd == "judge-java":
        print(judge_java(kv(rest)))
    elif cmd == "judge-wsrx":
        print(judge_wsrx(kv(rest)))
    elif cmd == "render":
        cmd_render(rest[0])
    elif cmd in ("check", "update"):
        rows, exp, scope = read_results(rest[0]), read_expected(rest[1]), rest[2:]
        problems = compare(rows, exp, scope)
        if cmd == "check":
            for p in problems:
                print(p)
            bad = {tuple(p.split(":")[0].split()[-3:]) for p in problems}
            ok = [r for r in rows if (r["peer"], r["cell"], r["direction"]) not in bad]
            print("%s: %d cells pass, %d fail where expected (xfail), %d not as expected"
                  % (os.path.relpath(rest[1]), sum(r["verdict"] == "pass" for r in ok),
                     sum(r["verdict"] != "pass" for r in ok), len(problems)))
            print("%d passed, %d failed" % (len(ok), len(problems)))
            sys.exit(1 if problems else 0)
        worse = [p for p in problems if p.startswith(("REGRESSION", "MISSING"))]
        # The peers with themselves are the reference: a run where they fail says nothing of wsrx.
        worse += ["%s %s %s failed at %s: %s" % (r["peer"], r["cell"], r["direction"], r["step"], r["peer_msg"])
                  for r in rows if r["direction"] == "peer-peer" and r["verdict"] != "pass"]
        if worse and "--allow-regression" not in scope:
            print("\n".join(worse))
            sys.exit("refusing to write regressions into %s (investigate; --allow-regression overrides)" % rest[1])
        write_expected(rest[1], rows, exp)
        print("updated %s: %d changes" % (rest[1], len(problems)))
    elif cmd == "readme":
        cmd_readme(rest[0], rest[1], "--check" in rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
