#!/usr/bin/env python3
"""Compare the protocol flowverify names for each flow with what tshark's
dissectors say of the same conversation.

    scripts/compare-tshark.py [--flowverify bin/flowverify] FILE...

Prints one line per disagreement and a summary: flows compared, agreements,
disagreements, and flows only one side could name. Needs tshark.
"""
import argparse
import collections
import json
import subprocess
import sys

# tshark protocol names -> flowverify names. The first match in a packet's
# protocol stack (after the transport) wins.
TSHARK = {
    "syslog": "syslog", "amqp": "amqp", "ldap": "ldap", "cldap": "ldap", "kerberos": "kerberos",
    "dcerpc": "dcerpc", "epm": "dcerpc", "pgsql": "postgresql", "http2": "http2", "http": "http",
    "tls": "tls", "ssl": "tls", "mdns": "mdns", "llmnr": "llmnr", "dns": "dns", "ntp": "ntp",
    "smb2": "smb", "smb": "smb", "nbss": "smb", "nbns": "netbios-ns", "ssh": "ssh", "snmp": "snmp",
    "rdp": "rdp", "tpkt": "rdp", "mc-nmf": "mc-nmf",
}
# Names that agree although they differ in spelling or depth.
SAME = {("adws", "mc-nmf")}


def tshark_conversations(path):
    out = subprocess.run(
        ["tshark", "-r", path,
         # The product's own ports carry these protocols; tshark only knows
         # the standard ports unless told.
         "-d", "tcp.port==10001,amqp", "-d", "udp.port==10000,syslog", "-d", "tcp.port==5435,pgsql",
         "-d", "tcp.port==5439,pgsql", "-d", "tcp.port==9389,mc-nmf", "-T", "fields", "-E", "separator=|", "-e", "frame.protocols",
         "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
         "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"],
        capture_output=True, text=True).stdout
    convs = {}
    for line in out.splitlines():
        f = line.split("|")
        if len(f) < 9:
            continue
        stack = f[0].split(":")
        # In a tunnel (6in4) the inner IPv6 header is the one that matters.
        src = (f[2] or f[1]).split(",")[-1]
        dst = (f[4] or f[3]).split(",")[-1]
        if f[5]:
            proto, sp, dp = "tcp", f[5], f[6]
        elif f[7]:
            proto, sp, dp = "udp", f[7], f[8]
        else:
            continue
        if "icmp" in stack or "icmpv6" in stack:
            continue
        key = (proto,) + tuple(sorted([(src, int(sp.split(",")[0])), (dst, int(dp.split(",")[0]))]))
        name = ""
        t = stack.index(proto) if proto in stack else len(stack)
        for p in stack[t + 1:]:
            if p in TSHARK:
                name = TSHARK[p]
                break
        prev = convs.get(key, "")
        if not prev and name:
            convs[key] = name
        else:
            convs.setdefault(key, prev)
    return convs


def split_hostport(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


def flowverify_flows(binary, path):
    out = subprocess.run([binary, "analyze", "-s", "203.0.113.1", "--fail-on", "none", "-f", "jsonl", "--flows", path],
                         capture_output=True, text=True).stdout
    flows = {}
    for line in out.splitlines():
        f = json.loads(line)
        if f["transport"] not in ("tcp", "udp"):
            continue
        key = (f["transport"],) + tuple(sorted([split_hostport(f["initiator"]), split_hostport(f["responder"])]))
        flows[key] = f["protocol"]
    return flows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowverify", default="bin/flowverify")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    totals = collections.Counter()
    for path in a.files:
        ts, fv = tshark_conversations(path), flowverify_flows(a.flowverify, path)
        for key in sorted(set(ts) | set(fv), key=str):
            t, f = ts.get(key), fv.get(key)
            if t is None or f is None:
                totals["unmatched"] += 1
                print(f"{path}: {key}: only {'flowverify' if t is None else 'tshark'} has this flow")
                continue
            totals["compared"] += 1
            if (t or "unknown") == f or (f, t) in SAME:
                totals["agree"] += 1
            elif not t and f != "unknown":
                totals["only-flowverify"] += 1
                print(f"{path}: {key}: flowverify {f}, tshark names none")
            elif t and f == "unknown":
                totals["only-tshark"] += 1
                print(f"{path}: {key}: tshark {t}, flowverify unknown")
            else:
                totals["disagree"] += 1
                print(f"{path}: {key}: flowverify {f}, tshark {t}")
    print(f"\nflows compared: {totals['compared']}, agree: {totals['agree']}, disagree: {totals['disagree']}, "
          f"named only by flowverify: {totals['only-flowverify']}, only by tshark: {totals['only-tshark']}, "
          f"flows not paired: {totals['unmatched']}")
    return 1 if totals["disagree"] else 0


if __name__ == "__main__":
    sys.exit(main())
