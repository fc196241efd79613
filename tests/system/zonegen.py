"""Random but valid zones and queries for differential tests of the answer algorithm
(test_differential.py): a seeded generator, so a seed names one zone and one query list.

A zone mixes what RFC 1034 4.3.2, RFC 4592 and RFC 6672 care about: empty non-terminals,
wildcards at several depths (with data or a CNAME, with names that exist beside and below
them, below a delegation), delegations with glue below the cut, at the cut, in a sibling
delegation, in the zone or out of it, with and without DS, occluded data below a cut, CNAME
chains inside the zone, out of it, into a delegation, under a DNAME and in loops, DNAMEs to
names inside and outside the zone, in chains and in loops (not to a name below itself:
Knot follows that loop 5 times, NSD and nanodns once), odd bytes in labels (escapes,
`*` not leftmost) and mixed case. Every zone loads in nanodns, knotd and NSD: a CNAME has
no other data beside it, a DNAME has nothing below it, an in-zone name server has an
address.

The queries are names that exist, names just below and above them, names under wildcards,
delegations and DNAMEs, the literal `*` labels, in random case, for random types (never
ANY, which differs by design: RFC 8482)."""

import random
import re

TYPES = ["A", "AAAA", "MX", "TXT", "SRV", "PTR", "CAA", "HINFO", "NS", "CNAME", "DNAME", "DS",
         "SOA", "TYPE65400"]
DATA_TYPES = ["A", "AAAA", "MX", "TXT", "SRV", "PTR", "CAA", "HINFO", "TYPE65400"]
PLAIN = ["a", "b", "c", "d", "e", "www", "mail", "host", "x", "y", "srv", "deep", "sub", "w",
         "ns", "Mixed", "UP", "a-b", "_tcp", "_sip", "0", "9z"]
ODD = ["esc\\.dot", "sp\\032ce", "b\\255y", "\\000n", "x*", "semi\\;", "q\\\"t", "\\@at"]
OUT = "other.example."


def rand_case(rng, text):
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c.lower() for c in text)


class Zone:
    """Names are tuples of labels, leftmost first, relative to the origin; () is the apex.
    `nodes` maps the lower-cased tuple to (the tuple as written, {type: [rdata]})."""

    def __init__(self, rng, origin):
        self.rng = rng
        self.origin = origin
        self.nodes = {}
        self.ttls = {}
        self.cuts, self.dnames, self.cnames, self.wilds = [], [], [], []

    # ---- names ---------------------------------------------------------------------------
    @staticmethod
    def key(name):
        return tuple(label.lower() for label in name)

    def text(self, name):
        return ".".join(name) + "." + self.origin if name else self.origin

    def under(self, name, kinds):
        """The first ancestor-or-self of `name` in one of the lists `kinds`."""
        k = self.key(name)
        for i in range(len(k) + 1):
            for kind in kinds:
                if k[i:] in kind:
                    return k[i:]
        return None

    def free(self, name, below_cut=False):
        """True when `name` may get new data: not at or below a CNAME owner's name (a CNAME
        stands alone), a DNAME owner (nothing below) or, unless asked, a cut."""
        k = self.key(name)
        if not k or k in self.nodes and self.nodes[k][1]:
            return False
        if self.under(name, [[self.key(n) for n in self.dnames]]):
            return False
        if not below_cut and self.under(name, [[self.key(n) for n in self.cuts]]):
            return False
        return True

    def has_children(self, name):
        k = self.key(name)
        return any(len(o) > len(k) and o[len(o) - len(k):] == k for o in self.nodes)

    def new_name(self, parent=(), depth=None, odd=0.1):
        for _ in range(50):
            d = depth or self.rng.choice([1, 1, 2, 2, 3])
            labels = tuple(self.rng.choice(ODD if self.rng.random() < odd else PLAIN)
                           for _ in range(d))
            labels = tuple(rand_case(self.rng, la) if self.rng.random() < 0.2 else la
                           for la in labels)
            name = labels + tuple(parent)
            if self.free(name) and not self.has_children(name):
                return name
        return None

    def add(self, name, rtype, rdata, ttl=None):
        k = self.key(name)
        written, sets = self.nodes.setdefault(k, (tuple(name), {}))
        if rtype not in sets:
            self.ttls[(k, rtype)] = ttl or self.rng.choice([300, 3600, 86400])
        sets.setdefault(rtype, [])
        if rdata not in sets[rtype]:
            sets[rtype].append(rdata)

    # ---- data ----------------------------------------------------------------------------
    def rdata(self, rtype, target):
        r = self.rng
        if rtype == "A":
            return "192.0.2.%d" % r.randrange(1, 255)
        if rtype == "AAAA":
            return "2001:db8::%x" % r.randrange(1, 65535)
        if rtype == "MX":
            return "%d %s" % (r.randrange(0, 50), target())
        if rtype == "TXT":
            return '"%s"' % r.choice(["v=spf1 -all", "hello world", "Case Kept", "semi;colon",
                                      "q\\\"uote", ""])
        if rtype == "SRV":
            return "%d %d %d %s" % (r.randrange(10), r.randrange(10), r.randrange(1, 65535),
                                    target())
        if rtype == "PTR":
            return target()
        if rtype == "CAA":
            return '0 issue "ca%d.example.net"' % r.randrange(5)
        if rtype == "HINFO":
            return '"PC" "Linux%d"' % r.randrange(5)
        if rtype == "TYPE65400":
            return "\\# 4 0A0000%02X" % r.randrange(256)
        raise ValueError(rtype)

    def some_target(self, chase=False):
        """A name for MX, SRV, PTR and CNAME targets: one that holds addresses, any owner,
        one under a DNAME, a missing one, or one outside the zone; for a CNAME (`chase`), one
        under a cut or a wildcard too. An MX or SRV target there differs by design: Knot adds
        the addresses below a cut or made by a wildcard to the additional section, NSD and
        nanodns take only authoritative data that exists."""
        r = self.rng
        owners = [n for n, _ in self.nodes.values()
                  if chase or not self.under(n, [self.cuts])]
        choice = r.random()
        if choice < 0.35 and owners:
            n = r.choice(owners)
        elif choice < 0.45 and self.cuts and chase:
            n = (r.choice(["ns", "host", "x"]),) + r.choice(self.cuts)
        elif choice < 0.55 and self.wilds and chase:
            n = ("match",) + self.wilds[r.randrange(len(self.wilds))][1:]
        elif choice < 0.65 and self.dnames:
            n = ("via",) + r.choice(self.dnames)
        elif choice < 0.8:
            return r.choice(["www.", "mail.", "x.y."]) + OUT
        else:
            n = (r.choice(PLAIN), r.choice(PLAIN))
            if not chase and self.under(n, [self.cuts]):
                return "mail." + OUT
        return self.text(n)

    def data_node(self, name):
        for t in self.rng.sample(DATA_TYPES, self.rng.choice([1, 1, 2, 3])):
            for _ in range(self.rng.choice([1, 1, 2])):
                self.add(name, t, self.rdata(t, self.some_target))

    def delegation(self):
        r = self.rng
        cut = self.new_name(depth=r.choice([1, 1, 2]), odd=0.05)
        if cut is None:
            return
        kinds = r.sample(["below", "at", "sibling", "inzone", "out", "below2"], r.choice([1, 2, 3]))
        for kind in kinds:
            if kind in ("below", "below2"):
                ns = ("ns" if kind == "below" else "ns2",) + cut
                self.add(ns, "A", self.rdata("A", None))
                if r.random() < 0.4:
                    self.add(ns, "AAAA", self.rdata("AAAA", None))
            elif kind == "at":
                ns = cut
                self.add(cut, "A", self.rdata("A", None))
            elif kind == "sibling" and self.cuts:
                ns = ("ns",) + r.choice(self.cuts)
                self.add(ns, "A", self.rdata("A", None))
            elif kind == "inzone":
                ns = ("ns1",)
            else:
                ns = None
            self.add(cut, "NS", self.text(ns) if ns is not None else "ns.%s" % OUT)
        if r.random() < 0.5:
            self.add(cut, "DS", "%d 13 2 %064X" % (r.randrange(65536), r.getrandbits(256)))
        if r.random() < 0.3:  # occluded data below the cut
            self.add((r.choice(["host", "www"]),) + cut, "A", self.rdata("A", None))
        if r.random() < 0.2:
            self.add(("*",) + cut, "A", "192.0.2.78")
        self.cuts.append(self.key(cut))

    def wildcard(self):
        r = self.rng
        owners = [n for n, _ in self.nodes.values() if self.free(n) or n == ()]
        choice = r.random()
        if choice < 0.15:
            parent = ()
        elif choice < 0.5 and owners:
            parent = r.choice(owners)
        else:
            parent = self.new_name(depth=r.choice([1, 2]))
        if parent is None or self.under(parent, [self.cuts, [self.key(n) for n in self.dnames]]):
            return
        w = ("*",) + tuple(parent)
        if self.key(w) in self.nodes:
            return
        if r.random() < 0.25:
            self.add(w, "CNAME", self.some_target(chase=True))
            self.cnames.append(w)
        else:
            self.data_node(w)
        self.wilds.append(w)
        # Names beside the wildcard, below it and below a name beside it.
        near = []
        if r.random() < 0.5:
            near.append((r.choice(PLAIN),) + tuple(parent))
        if r.random() < 0.3:
            near.append((r.choice(PLAIN), r.choice(PLAIN)) + tuple(parent))
        if r.random() < 0.2:
            near.append((r.choice(PLAIN),) + w)
        for name in near:
            if self.free(name) and not self.under(name, [[self.key(n) for n in self.cnames]]):
                self.data_node(name)

    def cname(self):
        r = self.rng
        name = self.new_name()
        if name is None:
            return
        choice = r.random()
        if choice < 0.1:
            target = self.text(name)  # itself
        elif choice < 0.25 and self.cnames:
            target = self.text(r.choice(self.cnames))  # a chain, maybe a loop
        else:
            target = self.some_target(chase=True)
        self.add(name, "CNAME", target)
        self.cnames.append(name)

    def dname(self):
        r = self.rng
        name = self.new_name(depth=r.choice([1, 2]))
        if name is None:
            return
        choice = r.random()
        if choice < 0.3:
            owners = [n for n, _ in self.nodes.values() if n]
            target = self.text(r.choice(owners)[1:] if owners and r.random() < 0.5
                               else (r.choice(PLAIN),))
        elif choice < 0.5 and self.dnames:
            target = self.text(r.choice(self.dnames))  # a chain, maybe a loop
        elif choice < 0.7 and self.cuts:
            target = self.text(r.choice(self.cuts))
        else:
            target = r.choice(["", "sub.", "a.b."]) + OUT
        self.add(name, "DNAME", target)
        if r.random() < 0.3:  # data beside the DNAME
            t = r.choice(["A", "TXT"])
            self.add(name, t, self.rdata(t, None))
        self.dnames.append(self.key(name))

    def wildcard_match(self, name):
        """True when `name` does not exist and a wildcard answers for it."""
        k = self.key(name)
        exists = set(self.nodes) | {o[i:] for o in self.nodes for i in range(len(o))}
        if k in exists:
            return False
        while k not in exists:
            k = k[1:]
        return ("*",) + k in self.nodes

    def unwild_targets(self):
        """Points MX and SRV targets that a wildcard answers for (it may have come after
        them) out of the zone: see some_target()."""
        suffix = "." + self.origin
        for k, (written, sets) in self.nodes.items():
            for t in ("MX", "SRV"):
                for i, rd in enumerate(sets.get(t, [])):
                    head, target = rd.rsplit(" ", 1)
                    if target.endswith(suffix) and self.wildcard_match(
                            tuple(re.split(r"(?<!\\)\.", target[:-len(suffix)]))):
                        sets[t][i] = head + " mail." + OUT

    def file(self):
        lines = ["$ORIGIN %s" % self.origin, "$TTL 3600"]
        order = sorted(self.nodes, key=lambda k: (len(k), k))
        for k in order:
            written, sets = self.nodes[k]
            owner = ".".join(written) if written else "@"
            for t, rdatas in sets.items():
                for rd in rdatas:
                    lines.append("%s %d IN %s %s" % (owner, self.ttls[(k, t)], t, rd))
        return "\n".join(lines) + "\n"


def generate(seed, nqueries):
    """Returns (origin, zone file text, [(qname, qtype)]) for `seed`."""
    rng = random.Random(seed)
    origin = "s%d.%s" % (seed, rng.choice(["d.test.", "Zone.test.", "a.B.example."]))
    z = Zone(rng, origin)
    z.add((), "SOA", "ns1 hostmaster 1 7200 3600 1209600 %d" % rng.choice([60, 300, 7200]),
          3600)
    z.add((), "NS", "ns1")
    z.add((), "NS", "ns.%s" % OUT)
    z.add(("ns1",), "A", "192.0.2.1")
    if rng.random() < 0.5:
        z.data_node(())
    # Cuts first, so that MX and SRV targets can keep clear of them.
    for _ in range(rng.randrange(1, 4)):
        z.delegation()
    steps = ([z.wildcard] * rng.randrange(1, 4) + [z.dname] * rng.randrange(0, 4)
             + [z.cname] * rng.randrange(3, 9)
             + [lambda: z.data_node(n) if n and z.free(n) else None for n in
                [z.new_name() for _ in range(rng.randrange(4, 12))]])
    rng.shuffle(steps)
    for step in steps:
        step()
    for _ in range(rng.randrange(2, 5)):  # CNAMEs last, so they may point at everything
        z.cname()
    z.unwild_targets()
    return origin, z.file(), queries(z, rng, nqueries)


def queries(z, rng, n):
    owners = [name for name, _ in z.nodes.values()]
    ents = set()
    for name in owners:
        for i in range(1, len(name)):
            ents.add(tuple(name[i:]))
    bases = owners + sorted(ents) + [tuple(w[1:]) for w in z.wilds] + \
        [tuple(c) for c in z.cuts] + [tuple(d) for d in z.dnames]
    out = []
    for _ in range(n):
        base = rng.choice(bases)
        v = rng.random()
        if v < 0.45:
            name = base
        elif v < 0.65:
            name = (rng.choice(PLAIN + ["zz", "nothere"]),) + base
        elif v < 0.75:
            name = (rng.choice(PLAIN), rng.choice(PLAIN)) + base
        elif v < 0.85:
            name = base[1:]
        elif v < 0.9:
            name = ("*",) + base
        else:
            name = (rng.choice(PLAIN), "*") + base
        sets = z.nodes.get(z.key(name), ((), {}))[1]
        if sets and rng.random() < 0.5:
            qtype = rng.choice(sorted(sets))
        else:
            qtype = rng.choice(TYPES)
        out.append((rand_case(rng, z.text(name)), qtype))
    return out
