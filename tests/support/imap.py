"""A local IMAP4rev1 server for the tests (RFC 3501, the part a mail reader uses): greeting,
CAPABILITY, LOGIN (checked), SELECT, UID SEARCH UNSEEN/ALL, UID FETCH (BODY.PEEK[]) with a
literal, UID STORE +FLAGS, NOOP, LOGOUT; a command out of its state is refused as a real
server refuses it. Messages live in memory with their flags, for the test to read."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field

TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.messages: list[StoredMessage] = []
        self.logins = 0
        self.commands: list[str] = []
        self._lock = threading.Lock()

    def deliver(self, raw: bytes) -> StoredMessage:
        with self._lock:
            message = StoredMessage(uid=len(self.messages) + 1, raw=raw)
            self.messages.append(message)
            return message


def _tokens(line: bytes) -> list[str]:
    return [(match.group(1).replace(b'\\"', b'"').replace(b"\\\\", b"\\")
             if match.group(1) is not None else match.group(2)).decode()
            for match in TOKEN.finditer(line)]


class _Handler(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def _send(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode() + b"\r\n")

    def handle(self) -> None:  # noqa: C901, PLR0912 - one branch per command, as the RFC lists
        box = self.server.mailbox  # type: ignore[attr-defined]
        logged_in = selected = False
        self._send("* OK IMAP4rev1 test server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            words = _tokens(line.rstrip(b"\r\n"))
            if len(words) < 2:
                self._send("* BAD no tag or command")
                continue
            tag, command, args = words[0], words[1].upper(), words[2:]
            box.commands.append(command if command != "UID" else f"UID {args[0].upper()}")
            if command == "CAPABILITY":
                self._send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                self._send(f"{tag} OK CAPABILITY completed")
            elif command == "NOOP":
                self._send(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                self._send("* BYE logging out")
                self._send(f"{tag} OK LOGOUT completed")
                return
            elif command == "LOGIN":
                if args == [box.user, box.password]:
                    logged_in = True
                    box.logins += 1
                    self._send(f"{tag} OK LOGIN completed")
                else:
                    self._send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            elif not logged_in:
                self._send(f"{tag} BAD log in first")
            elif command == "SELECT":
                if args and args[0].upper() == "INBOX":
                    selected = True
                    self._send(f"* {len(box.messages)} EXISTS")
                    self._send("* 0 RECENT")
                    self._send("* OK [UIDVALIDITY 1] UIDs valid")
                    self._send(r"* FLAGS (\Seen \Flagged)")
                    self._send(f"{tag} OK [READ-WRITE] SELECT completed")
                else:
                    self._send(f"{tag} NO no such mailbox")
            elif command == "UID" and selected and args:
                self._uid(tag, args[0].upper(), args[1:], box)
            else:
                self._send(f"{tag} BAD {command} not understood here")

    def _uid(self, tag: str, verb: str, args: list[str], box: Mailbox) -> None:
        by_uid = {m.uid: (n, m) for n, m in enumerate(box.messages, start=1)}
        if verb == "SEARCH":
            wanted = args[0].upper() if args else "ALL"
            uids = [m.uid for m in box.messages
                    if wanted == "ALL" or (wanted == "UNSEEN" and r"\Seen" not in m.flags)]
            self._send("* SEARCH" + "".join(f" {uid}" for uid in uids))
            self._send(f"{tag} OK SEARCH completed")
        elif verb == "FETCH" and len(args) >= 2 and args[0].isdigit() \
                and " ".join(args[1:]).upper() == "(BODY.PEEK[])":
            found = by_uid.get(int(args[0]))
            if found is not None:  # PEEK: the message stays unread
                number, message = found
                self._send(f"* {number} FETCH (UID {message.uid} BODY[] "
                           f"{{{len(message.raw)}}}\r\n".encode() + message.raw + b")\r\n")
            self._send(f"{tag} OK FETCH completed")
        elif verb == "STORE" and len(args) >= 3 and args[0].isdigit() \
                and args[1].upper() == "+FLAGS":
            found = by_uid.get(int(args[0]))
            flags = " ".join(args[2:]).strip("()").split()
            if found is not None:
                number, message = found
                message.flags.update(flags)
                self._send(f"* {number} FETCH (UID {message.uid} FLAGS "
                           f"({' '.join(sorted(message.flags))}))")
            self._send(f"{tag} OK STORE completed")
        else:
            self._send(f"{tag} BAD UID {verb} not understood")


class ImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mailbox = mailbox
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> ImapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
