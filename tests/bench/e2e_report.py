#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The tables of tests/bench/e2e.sh from its raw measurements.

Input lines (tab separated): PART CONFIG ROUND "key=value key=value ...".
Every ratio is taken within a round (configuration / baseline of the same
round); a table shows the median over rounds with min and max.
"""
import argparse
import statistics
import sys

NAMES = {
    "none": "nothing attached",
    "tc_noop": "TC no-op",
    "tc_pp": "ppguard TC",
    "tc_pp_reset": "ppguard TC, action reset",
    "xdp_noop": "XDP no-op (native)",
    "xdp_pp": "ppguard XDP (native)",
    "nft": "nftables netdev ingress",
}


def kv(text):
    out = {}
    for f in text.split():
        if "=" in f:
            k, v = f.split("=", 1)
            out[k] = v
    return out


def ticks(d, key, cpu=None):
    vals = [int(x) for x in d.get(key, "0").split(",") if x]
    if cpu is None:
        return sum(vals)
    return vals[cpu] if cpu < len(vals) else 0


def bpf_per_pkt(d):
    c = int(d.get("bpf_cnt", 0))
    return int(d["bpf_ns"]) / c if c else None


def bpf_per_conn(d):
    """µs of program run time per connection made (warm-up included, as
    the program's statistics are)"""
    c = int(d.get("total", 0))
    if "bpf_ns" not in d or not c:
        return None
    return int(d["bpf_ns"]) / 1000 / c


def stat3(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def fmt3(s, f="{:.0f}"):
    if s is None:
        return "n/a", "", ""
    return f.format(s[0]), f.format(s[1]), f.format(s[2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--machine", default="")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--conc", type=int, default=32)
    ap.add_argument("--cpu-server", type=int, default=1)
    ap.add_argument("--haproxy", default="")
    ap.add_argument("--loader", default="own")
    ap.add_argument("--loadavg", default="")
    ap.add_argument("--out")
    a = ap.parse_args()

    data = {}  # (part, config) -> {round: dict}
    for line in open(a.raw):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 4:
            continue
        part, cfg, rnd, rest = parts[0], parts[1], int(parts[2]), parts[3]
        data.setdefault((part, cfg), {})[rnd] = kv(rest)

    rounds = range(a.rounds)
    lines = []
    out = lines.append

    def per_round(part, cfg, fn):
        rs = data.get((part, cfg), {})
        return {r: fn(rs[r]) for r in rounds if r in rs}

    def ratios(num, den):
        return [num[r] / den[r] for r in num
            if num[r] is not None and den.get(r)]

    out("## End-to-end (tests/bench/e2e.sh)\n")
    out(f"{a.machine}. veth pair between two namespaces; client pinned to "
        f"CPU 0, server side to CPU {a.cpu_server}; {a.rounds} interleaved "
        f"rounds of {a.secs:g} s; median over rounds, min and max; ratios "
        "per round against the baseline of the same round. ppguard "
        "attached with " + ("`ppguard attach` (XDP through libxdp's "
                            "dispatcher)" if a.loader == "cli" else
                            "the benchmark's loader") +
        "; no-ops by the benchmark's loader, the same way." +
        (f" Load average (1 min) before and after: {a.loadavg}."
         if a.loadavg else "") + "\n")

    rate = lambda d: float(d["rate"])

    def cpu_per_conn(d):
        c = int(d["conns"])
        t = (int(d["self_ticks"]) + int(d["pid_ticks"]) +
             ticks(d, "softirq") + ticks(d, "irq"))
        return t / int(d["hz"]) * 1e6 / c if c else None

    base = per_round("rate", "none", rate)

    def others(d):
        """% of the machine's CPU time used by everything but the client,
        the server and the kernel's irq/softirq during the window"""
        busy = ticks(d, "busy")
        ours = (int(d["self_ticks"]) + int(d["pid_ticks"]) +
                ticks(d, "softirq") + ticks(d, "irq"))
        ncpu = len(d["busy"].split(","))
        cap = int(d["hz"]) * float(d["secs"]) * ncpu
        return max(0.0, (busy - ours) / cap * 100)

    # 1. connection rate
    if any(k[0] == "rate" for k in data):
        out(f"### Connection rate: {a.conc} concurrent clients, 60-byte PROXY v2 "
            "header + HTTP/1.0 request per connection, C server\n")
        out("| configuration | conn/s | min | max | ratio to nothing | min | max "
            "| CPU µs/conn | ratio | program ns/packet | program µs/conn | "
            "% of conn CPU | other load % | target |")
        out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
            "|---|")
        base_cpu = per_round("rate", "none", cpu_per_conn)
        nft = stat3(per_round("rate", "nft", rate).values())
        for cfg in ("none", "tc_noop", "tc_pp", "xdp_noop", "xdp_pp", "nft"):
            v = per_round("rate", cfg, rate)
            if not v:
                continue
            s = stat3(v.values())
            ra = stat3(ratios(v, base))
            cpu = stat3(per_round("rate", cfg, cpu_per_conn).values())
            cra = stat3(ratios(per_round("rate", cfg, cpu_per_conn), base_cpu))
            pk = stat3(per_round("rate", cfg, bpf_per_pkt).values())
            pc = per_round("rate", cfg, bpf_per_conn)
            share = stat3(ratios({r: x * 100 for r, x in pc.items()
                                  if x is not None}, base_cpu))
            tgt = ""
            if cfg in ("tc_pp", "xdp_pp"):
                ok = ra is not None and ra[0] >= 0.97
                vs = ""
                if nft is not None:
                    ok2 = s[0] >= nft[0]
                    vs = ", ≥ nftables " + ("met" if ok2 else "**MISSED**")
                tgt = ("≥ 0.97 " + ("met" if ok else "**MISSED**")) + vs
            oth = stat3(per_round("rate", cfg, others).values())
            out("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} "
                "| {} | {} |".format(
                    NAMES[cfg], *fmt3(s), *fmt3(ra, "{:.3f}"),
                    fmt3(cpu, "{:.1f}")[0], fmt3(cra, "{:.2f}")[0],
                    fmt3(pk)[0] if pk else "",
                    fmt3(stat3(pc.values()), "{:.2f}")[0] if pk else "",
                    fmt3(share, "{:.1f}")[0] if pk else "",
                    fmt3(oth)[0], tgt))
        out("")
        out("CPU µs/conn: CPU time of the client and server processes "
            "(user+system) plus the irq and softirq time of both CPUs "
            "(/proc/stat) in the window, per connection completed: what a "
            "connection costs, both ends and the kernel together, without "
            "the other processes of a shared machine. Program ns/packet and "
            "µs/conn: the attached program's own run time in place (kernel BPF "
            "statistics, which add about two clock reads per run), per packet "
            "and per connection made; % of conn CPU: that per-connection "
            "time against the CPU µs/conn with nothing attached in the same "
            "round, i.e. what the program should cost the connection rate "
            "when the machine is CPU-bound. The rate ratios themselves move "
            "with whatever else the machine runs: other load % is the "
            "share of both CPUs that other processes took during the "
            "window (median over rounds).\n")
        busy = [others(d) for (part, _), rs in data.items()
                if part == "rate" for d in rs.values()]
        if busy and statistics.median(busy) > 20:
            out("**Other processes took {:.0f}% of the CPUs (median) while "
                "the connection rates were measured: the conn/s ratios "
                "above say more about that load than about the programs; "
                "the in-place program cost is the reliable figure.**\n"
                .format(statistics.median(busy)))

    # 2. HAProxy
    if any(k[0].startswith("hap_") for k in data):
        out(f"### HAProxy {a.haproxy} as the application-level alternative "
            "(same clients, `http-request return`)\n")
        out("| configuration | conn/s | min | max | ratio to plain | min | "
            "max | ratio to C server, nothing | CPU µs/conn | ratio to "
            "plain | program µs/conn |")
        out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for part, label in (("hap_accept", "`bind ... accept-proxy`"),
                            ("hap_expect", "`tcp-request connection "
                             "expect-proxy layer4 if { src ... }`")):
            b = per_round(part, "none", rate)
            bc = per_round(part, "none", cpu_per_conn)
            for cfg, suffix in (("none", ", plain"),
                                ("tc_pp", ", ppguard TC in front")):
                v = per_round(part, cfg, rate)
                if not v:
                    continue
                c = per_round(part, cfg, cpu_per_conn)
                pc = stat3(per_round(part, cfg, bpf_per_conn).values())
                out("| {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} "
                    "| {} |".format(
                        label, suffix, *fmt3(stat3(v.values())),
                        *fmt3(stat3(ratios(v, b)), "{:.3f}"),
                        fmt3(stat3(ratios(v, base)), "{:.3f}")[0],
                        fmt3(stat3(c.values()), "{:.1f}")[0],
                        fmt3(stat3(ratios(c, bc)), "{:.2f}")[0],
                        fmt3(pc, "{:.2f}")[0] if pc else ""))
        out("")

    # 3. bulk
    if any(k[0] == "bulk" for k in data):
        out("### Bulk throughput: iperf3, one stream, protected port "
            "(inspected, no header required)\n")
        out("| configuration | Gbit/s | min | max | baseline | ratio | min | "
            "max | target |")
        out("|---|---:|---:|---:|---|---:|---:|---:|---|")
        gb = lambda d: float(d["bps"]) / 1e9
        for cfg, bcfg in (("none", "none"), ("tc_noop", "none"),
                          ("tc_pp", "none"), ("xdp_noop", "none"),
                          ("xdp_noop", "xdp_noop"), ("xdp_pp", "xdp_noop")):
            v = per_round("bulk", cfg, gb)
            if not v or (cfg == "xdp_noop" and bcfg == "xdp_noop"):
                continue
            ra = stat3(ratios(v, per_round("bulk", bcfg, gb)))
            tgt = ""
            if cfg in ("tc_pp", "xdp_pp"):
                tgt = "≥ 0.99 " + ("met" if ra and ra[0] >= 0.99
                                   else "**MISSED**")
            out("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                NAMES[cfg], *fmt3(stat3(v.values()), "{:.2f}"), NAMES[bcfg],
                *fmt3(ra, "{:.3f}"), tgt))
        out("")
        out("XDP on a veth turns off TSO/GRO for the traffic through it: "
            "every XDP program, the no-op included, costs most of the bulk "
            "rate on veth (the XDP no-op row against nothing shows how "
            "much); ppguard XDP is compared with the XDP no-op.\n")

    # 4. flood
    if any(k[0] == "flood" for k in data):
        cs = a.cpu_server
        out(f"### Forged-header flood: {a.conc} concurrent connections from "
            "64 untrusted addresses, each sending a v2 header + request and "
            "resetting at once\n")
        out(f"| configuration | conn/s made | connections the application "
            f"saw | server softirq (CPU {cs}) % | softirq µs/conn | ratio "
            "to no ppguard | server process CPU % | target |")
        out("|---|---:|---:|---:|---:|---:|---:|---|")

        def seen(d):
            return int(d["after_seen"]) - int(d["before_seen"])

        def sirq_pct(d):
            return ticks(d, "softirq", cs) / int(d["hz"]) / a.secs * 100

        def sirq_conn(d):
            c = int(d["conns"])
            return (ticks(d, "softirq", cs) / int(d["hz"]) * 1e6 / c
                    if c else None)

        def app_pct(d):
            return int(d["pid_ticks"]) / int(d["hz"]) / a.secs * 100

        b = per_round("flood", "none", sirq_conn)
        for cfg in ("none", "tc_pp", "tc_pp_reset", "nft"):
            v = per_round("flood", cfg, rate)
            if not v:
                continue
            label = NAMES[cfg] if cfg != "none" else "no ppguard"
            if cfg == "tc_pp":
                label = "ppguard TC, action drop"
            if cfg == "nft":
                label = "nftables netdev ingress (drop)"
            sn = per_round("flood", cfg, seen)
            tgt = ""
            if cfg != "none":
                tgt = "saw 0 " + ("met" if sum(sn.values()) == 0
                                  else "**MISSED**")
            out("| {} | {} | {} of {} | {} | {} | {} | {} | {} |".format(
                label, fmt3(stat3(v.values()))[0], sum(sn.values()),
                sum(int(d["total"]) for d in
                    data[("flood", cfg)].values()),
                fmt3(stat3(per_round("flood", cfg, sirq_pct).values()),
                     "{:.1f}")[0],
                fmt3(stat3(per_round("flood", cfg, sirq_conn).values()),
                     "{:.2f}")[0],
                fmt3(stat3(ratios(per_round("flood", cfg, sirq_conn), b)),
                     "{:.2f}")[0],
                fmt3(stat3(per_round("flood", cfg, app_pct).values()),
                     "{:.1f}")[0], tgt))
        out("")
        out(f"RPS steers each namespace's receive processing to its own CPU "
            f"during the flood, so CPU {cs}'s softirq time is the server "
            "side's (TC programs and nftables run there). \"Saw\": "
            "connections that delivered at least one byte to the "
            "application, of all the connections made, warm-up included, "
            "over all rounds.\n")

    # loader counters: events must all have been drained
    lost = 0
    events = 0
    for (part, cfg), rs in data.items():
        if part != "loader":
            continue
        for d in rs.values():
            lost += int(d.get("lost", 0))
            events += int(d.get("events", 0))
    out(f"ppguard events drained by the benchmark loader: {events}, lost: "
        f"{lost}.\n")

    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
