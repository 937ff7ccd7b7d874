using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Cli;

/// <summary>
/// Renders a <see cref="BenchmarkReply"/> as text, JSON, or one self-contained HTML page (docs/maturity.md, "The report").
/// The page loads nothing from anywhere (inline CSS and SVG, no script, a Content-Security-Policy that forbids the rest),
/// and every string that comes from a record or a peer is HTML-escaped: a hostile member's practice title is text, never markup.
/// A suppressed cell is shown as suppressed; no minimum or maximum appears anywhere, because the node never sends one.
/// </summary>
public static class MaturityReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    // ---- text ----------------------------------------------------------------------------------

    public static void Text(TextWriter output, BenchmarkReply reply)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(reply);
        output.WriteLine($"{TlpLabels.Display(reply.Label)}: derived from records labelled up to {TlpLabels.Display(reply.Label)}; handle this report accordingly.");
        output.WriteLine($"NIS2 maturity benchmark ({reply.Framework}) of {reply.NodeName}, assessment {Short(reply.AssessmentId)} of {Output.Time(reply.AssessmentCreatedUnixMs)}");
        output.WriteLine($"Compared with {Describe(reply)}; a figure needs at least k = {reply.MinContributors} other cities.");
        output.WriteLine();
        Output.Table(output, ["DOMAIN", "ARTICLE", "YOU", "TARGET", "PEERS Q1", "MEDIAN", "Q3", "PEER TARGET (Q1/MED/Q3)", "AT TARGET", "CITIES"],
            reply.Domains.Select(d => (IReadOnlyList<string>)(d.Suppressed.Length == 0
                ? [d.Code, d.Article, Own(d.HasCurrent, d.Current, d.CurrentMean), Own(d.HasTarget, d.Target, d.TargetMean),
                    Number(d.PeersCurrent.LowerQuartile), Number(d.PeersCurrent.Median), Number(d.PeersCurrent.UpperQuartile),
                    $"{Number(d.PeersTarget.LowerQuartile)}/{Number(d.PeersTarget.Median)}/{Number(d.PeersTarget.UpperQuartile)}",
                    $"{d.PercentAtTarget}%", d.Contributors.ToString(Invariant)]
                : [d.Code, d.Article, Own(d.HasCurrent, d.Current, d.CurrentMean), Own(d.HasTarget, d.Target, d.TargetMean),
                    "suppressed", Suppression(d.Suppressed, reply.MinContributors), string.Empty, string.Empty, string.Empty, string.Empty])));
        output.WriteLine();
        if (reply.Gaps.Count == 0)
        {
            output.WriteLine("No gaps: every domain is at its target and not below the peers' median.");
            return;
        }
        output.WriteLine("Gaps, with the practices peers shared for them (newest first, then most endorsed):");
        foreach (var gap in reply.Gaps)
        {
            output.WriteLine();
            output.WriteLine($"{gap.Code} {gap.Title}: current {gap.Current}, target {gap.Target}" +
                (gap.HasPeerMedian ? $", peers' median {Number(gap.PeerMedian)}" : string.Empty) + $" ({GapReason(gap)})");
            if (gap.PracticesBelowTarget.Count > 0)
            {
                output.WriteLine($"  below target: {string.Join(", ", gap.PracticesBelowTarget)}");
            }
            if (gap.Practices.Count == 0)
            {
                output.WriteLine("  no practice shared for this domain yet");
            }
            foreach (var p in gap.Practices)
            {
                output.WriteLine($"  - {OneLine(p.Title)} — {Author(p)}, {Output.Time(p.CreatedUnixMs)}, {Endorsements(p.Endorsements)}, {TlpLabels.Display(p.Tlp)}; i4c show {p.Id}");
            }
        }
    }

    // ---- JSON ----------------------------------------------------------------------------------

    public static JsonObject Json(BenchmarkReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var domains = new JsonArray();
        foreach (var d in reply.Domains)
        {
            domains.Add(new JsonObject
            {
                ["code"] = d.Code,
                ["title"] = d.Title,
                ["article"] = d.Article,
                ["current"] = d.HasCurrent ? d.Current : null,
                ["currentMean"] = d.HasCurrentMean ? d.CurrentMean : null,
                ["target"] = d.HasTarget ? d.Target : null,
                ["targetMean"] = d.HasTargetMean ? d.TargetMean : null,
                ["suppressed"] = d.Suppressed.Length == 0 ? null : d.Suppressed,
                ["peers"] = d.Suppressed.Length > 0 ? null : new JsonObject
                {
                    ["contributors"] = d.Contributors,
                    ["current"] = Quartiles(d.PeersCurrent),
                    ["target"] = Quartiles(d.PeersTarget),
                    ["percentAtTarget"] = d.PercentAtTarget,
                },
            });
        }
        var gaps = new JsonArray();
        foreach (var g in reply.Gaps)
        {
            var practices = new JsonArray();
            foreach (var p in g.Practices)
            {
                practices.Add(new JsonObject
                {
                    ["id"] = p.Id,
                    ["title"] = p.Title,
                    ["author"] = p.Author,
                    ["authorName"] = p.AuthorName,
                    ["created"] = Output.Iso(p.CreatedUnixMs),
                    ["endorsements"] = p.Endorsements,
                    ["domains"] = new JsonArray(p.Domains.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                    ["tlp"] = TlpLabels.Short(p.Tlp),
                });
            }
            gaps.Add(new JsonObject
            {
                ["code"] = g.Code,
                ["title"] = g.Title,
                ["current"] = g.Current,
                ["target"] = g.Target,
                ["peerMedian"] = g.HasPeerMedian ? g.PeerMedian : null,
                ["belowTarget"] = g.BelowTarget,
                ["belowPeerMedian"] = g.BelowPeerMedian,
                ["practicesBelowTarget"] = new JsonArray(g.PracticesBelowTarget.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
                ["practices"] = practices,
            });
        }
        return new JsonObject
        {
            ["framework"] = reply.Framework,
            ["node"] = reply.NodeId,
            ["name"] = reply.NodeName,
            ["assessment"] = reply.AssessmentId,
            ["assessmentCreated"] = Output.Iso(reply.AssessmentCreatedUnixMs),
            ["cohort"] = reply.Cohort,
            ["k"] = reply.MinContributors,
            ["tlp"] = TlpLabels.Short(reply.Label),
            ["peerCities"] = reply.PeerCities,
            ["cohortCities"] = reply.CohortCities,
            ["ignoredCities"] = reply.IgnoredCities,
            ["computed"] = Output.Iso(reply.ComputedUnixMs),
            ["domains"] = domains,
            ["gaps"] = gaps,
        };
    }

    private static JsonObject Quartiles(Protocol.V1.Quartiles q) => new()
    {
        ["lowerQuartile"] = q.LowerQuartile,
        ["median"] = q.Median,
        ["upperQuartile"] = q.UpperQuartile,
    };

    // ---- HTML ----------------------------------------------------------------------------------

    /// <summary>The report as one self-contained HTML page.</summary>
    public static string Html(BenchmarkReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var h = new StringBuilder();
        var title = $"NIS2 maturity benchmark — {reply.NodeName}";
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");

        h.Append("<header>\n<p class=\"tlp ").Append(TlpClass(reply.Label)).Append("\">").Append(E(TlpLabels.Display(reply.Label))).Append("</p>\n")
            .Append("<h1>NIS2 maturity benchmark</h1>\n<p class=\"meta\">")
            .Append(E(reply.NodeName)).Append(" · assessment <code>").Append(E(Short(reply.AssessmentId))).Append("</code> of ")
            .Append(E(Output.Time(reply.AssessmentCreatedUnixMs))).Append(" · framework ").Append(E(reply.Framework))
            .Append("</p>\n<p class=\"meta\">Compared with ").Append(E(Describe(reply))).Append(". A peer figure is shown only when at least k = ")
            .Append(reply.MinContributors.ToString(Invariant)).Append(" other cities contribute to it; this city never counts among its peers. Computed ")
            .Append(E(Output.Time(reply.ComputedUnixMs))).Append(".</p>\n</header>\n");

        h.Append("<section id=\"radar\">\n<h2>Current and target against the peers' median</h2>\n").Append(Radar(reply)).Append("</section>\n");
        h.Append("<section id=\"domains\">\n<h2>Domains</h2>\n").Append(DomainTable(reply)).Append("</section>\n");
        h.Append("<section id=\"gaps\">\n<h2>Gaps and the practices peers shared</h2>\n").Append(GapList(reply)).Append("</section>\n");
        h.Append("<section id=\"practices\">\n<h2>Shared practices</h2>\n").Append(PracticeList(reply)).Append("</section>\n");

        h.Append("<footer>\n<p>How to read this page: a domain's level is the highest level every applicable practice of the domain reaches ")
            .Append("(its lowest practice); the mean is shown beside it. Peer figures are the lower quartile, median and upper quartile of the ")
            .Append("other cities' domain levels, rounded to one decimal; no minimum or maximum is ever shown. ")
            .Append("“At target” is the share of those cities whose level reaches their own target. See docs/maturity.md.</p>\n")
            .Append("<p>This page holds figures derived from the members' assessments and lists practices they shared; it is marked ")
            .Append(E(TlpLabels.Display(reply.Label))).Append(", the strictest label among those records: handle it at least as strictly.</p>\n")
            .Append("</footer>\n</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>The CSS class of a TLP 2.0 marking (FIRST's colours: text on black).</summary>
    private static string TlpClass(Tlp tlp) => tlp switch
    {
        Tlp.Clear => "tlp-clear",
        Tlp.Green => "tlp-green",
        Tlp.Amber or Tlp.AmberStrict => "tlp-amber",
        Tlp.Red => "tlp-red",
        _ => "tlp-unknown",
    };

    private const string Css = """
        .tlp { display: inline-block; background: #000000; font-weight: bold; padding: 0.2em 0.6em; margin: 0 0 0.4em 0; font-family: monospace; font-size: 1.1em; }
        .tlp-clear { color: #FFFFFF; }
        .tlp-green { color: #33FF00; }
        .tlp-amber { color: #FFC000; }
        .tlp-red { color: #FF2B2B; }
        .tlp-unknown { color: #FFFFFF; }
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #1d2330; background: #ffffff; padding: 0 1em; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 2px solid #d0d7e2; padding-bottom: 0.2em; }
        .meta { color: #4a5568; margin: 0.2em 0; }
        table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
        th, td { border: 1px solid #d0d7e2; padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
        th { background: #eef2f8; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.suppressed { background: repeating-linear-gradient(45deg, #f4f4f4, #f4f4f4 6px, #e9e9e9 6px, #e9e9e9 12px); color: #555; font-style: italic; }
        .below { color: #b42318; font-weight: bold; }
        .gap { margin: 1em 0; padding: 0.6em 0.9em; border-left: 4px solid #e8590c; background: #fff8f1; }
        .gap h3 { margin: 0 0 0.3em 0; font-size: 1em; }
        .practice { margin: 0.6em 0; }
        code { font-size: 0.9em; }
        svg text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        .legend span { display: inline-block; margin-right: 1.5em; }
        .swatch { display: inline-block; width: 1.2em; height: 0.6em; margin-right: 0.4em; vertical-align: middle; }
        footer { margin-top: 2em; color: #4a5568; font-size: 0.85em; }

        """;

    private static string DomainTable(BenchmarkReply reply)
    {
        var h = new StringBuilder();
        h.Append("<table>\n<thead><tr><th>Domain</th><th>NIS2</th><th>Current</th><th>Target</th>")
            .Append("<th>Peers' current<br>Q1 · median · Q3</th><th>Peers' target<br>Q1 · median · Q3</th><th>Peers at target</th><th>Cities</th></tr></thead>\n<tbody>\n");
        foreach (var d in reply.Domains)
        {
            var below = d.Suppressed.Length == 0 && d.HasCurrent && d.Current < d.PeersCurrent.Median;
            h.Append("<tr id=\"domain-").Append(E(d.Code)).Append("\"><td><strong>").Append(E(d.Code)).Append("</strong> ").Append(E(d.Title)).Append("</td>")
                .Append("<td>").Append(E(d.Article)).Append("</td>")
                .Append("<td class=\"num").Append(below ? " below" : string.Empty).Append("\">").Append(E(Own(d.HasCurrent, d.Current, d.CurrentMean))).Append("</td>")
                .Append("<td class=\"num\">").Append(E(Own(d.HasTarget, d.Target, d.TargetMean))).Append("</td>");
            if (d.Suppressed.Length == 0)
            {
                h.Append("<td class=\"num\">").Append(Q(d.PeersCurrent)).Append("</td>")
                    .Append("<td class=\"num\">").Append(Q(d.PeersTarget)).Append("</td>")
                    .Append("<td class=\"num\">").Append(d.PercentAtTarget.ToString(Invariant)).Append("%</td>")
                    .Append("<td class=\"num\">").Append(d.Contributors.ToString(Invariant)).Append("</td>");
            }
            else
            {
                h.Append("<td class=\"suppressed\" colspan=\"4\">suppressed: ").Append(E(Suppression(d.Suppressed, reply.MinContributors))).Append("</td>");
            }
            h.Append("</tr>\n");
        }
        h.Append("</tbody>\n</table>\n");
        return h.ToString();

        static string Q(Protocol.V1.Quartiles q) => $"{Number(q.LowerQuartile)} · <strong>{Number(q.Median)}</strong> · {Number(q.UpperQuartile)}";
    }

    private static string GapList(BenchmarkReply reply)
    {
        if (reply.Gaps.Count == 0)
        {
            return "<p>No gaps: every domain is at its target and not below the peers' median.</p>\n";
        }
        var h = new StringBuilder();
        foreach (var gap in reply.Gaps)
        {
            h.Append("<div class=\"gap\" id=\"gap-").Append(E(gap.Code)).Append("\">\n<h3>").Append(E(gap.Code)).Append(' ').Append(E(gap.Title)).Append("</h3>\n<p>Current ")
                .Append(gap.Current.ToString(Invariant)).Append(", target ").Append(gap.Target.ToString(Invariant));
            if (gap.HasPeerMedian)
            {
                h.Append(", peers' median ").Append(Number(gap.PeerMedian));
            }
            h.Append(" — ").Append(E(GapReason(gap))).Append(".</p>\n");
            if (gap.PracticesBelowTarget.Count > 0)
            {
                h.Append("<p>Practices below their target: ").Append(E(string.Join(", ", gap.PracticesBelowTarget))).Append("</p>\n");
            }
            if (gap.Practices.Count == 0)
            {
                h.Append("<p>No practice has been shared for this domain yet.</p>\n");
            }
            else
            {
                h.Append("<ol>\n");
                foreach (var p in gap.Practices)
                {
                    h.Append("<li><a href=\"#practice-").Append(E(p.Id)).Append("\">").Append(E(OneLine(p.Title))).Append("</a> — ")
                        .Append(E(Author(p))).Append(", ").Append(E(Output.Time(p.CreatedUnixMs))).Append(", ").Append(E(Endorsements(p.Endorsements))).Append("</li>\n");
                }
                h.Append("</ol>\n");
            }
            h.Append("</div>\n");
        }
        return h.ToString();
    }

    private static string PracticeList(BenchmarkReply reply)
    {
        var practices = reply.Gaps.SelectMany(g => g.Practices).DistinctBy(p => p.Id).ToArray();
        if (practices.Length == 0)
        {
            return "<p>None listed.</p>\n";
        }
        var h = new StringBuilder();
        foreach (var p in practices)
        {
            h.Append("<div class=\"practice\" id=\"practice-").Append(E(p.Id)).Append("\"><strong>").Append(E(OneLine(p.Title))).Append("</strong><br>")
                .Append(E(Author(p))).Append(" · ").Append(E(Output.Time(p.CreatedUnixMs))).Append(" · ").Append(E(TlpLabels.Display(p.Tlp)))
                .Append(" · domains ").Append(E(string.Join(", ", p.Domains))).Append(" · ").Append(E(Endorsements(p.Endorsements)))
                .Append("<br>Read it on the node: <code>i4c show ").Append(E(p.Id)).Append("</code></div>\n");
        }
        return h.ToString();
    }

    // ---- the radar chart -------------------------------------------------------------------------

    private const double Size = 620, Center = Size / 2, Radius = 210;

    private static string Radar(BenchmarkReply reply)
    {
        var domains = reply.Domains;
        var n = domains.Count;
        if (n < 3)
        {
            return "<p>Too few domains for a chart.</p>\n";
        }
        var h = new StringBuilder();
        h.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Radar chart of current level, target level and peers' median per domain\" width=\"")
            .Append(F(Size)).Append("\" height=\"").Append(F(Size)).Append("\" viewBox=\"0 0 ").Append(F(Size)).Append(' ').Append(F(Size)).Append("\">\n");
        h.Append("<rect x=\"0\" y=\"0\" width=\"").Append(F(Size)).Append("\" height=\"").Append(F(Size)).Append("\" fill=\"#ffffff\"/>\n");
        // Rings for levels 1..5, and the axes.
        for (var level = 1; level <= 5; level++)
        {
            var ring = string.Join(' ', Enumerable.Range(0, n).Select(i => Point(i, n, level)));
            h.Append("<polygon points=\"").Append(ring).Append("\" fill=\"none\" stroke=\"#d0d7e2\" stroke-width=\"1\"/>\n");
            var (lx, ly) = Xy(0, n, level);
            h.Append("<text x=\"").Append(F(lx + 4)).Append("\" y=\"").Append(F(ly + 4)).Append("\" font-size=\"10\" fill=\"#8a94a6\">").Append(level).Append("</text>\n");
        }
        for (var i = 0; i < n; i++)
        {
            var (x, y) = Xy(i, n, 5);
            h.Append("<line x1=\"").Append(F(Center)).Append("\" y1=\"").Append(F(Center)).Append("\" x2=\"").Append(F(x)).Append("\" y2=\"").Append(F(y)).Append("\" stroke=\"#d0d7e2\" stroke-width=\"1\"/>\n");
            var (tx, ty) = Xy(i, n, 5.9);
            var angle = Angle(i, n);
            var anchor = Math.Abs(Math.Cos(angle)) < 0.2 ? "middle" : Math.Cos(angle) > 0 ? "start" : "end";
            h.Append("<text x=\"").Append(F(tx)).Append("\" y=\"").Append(F(ty + 4)).Append("\" font-size=\"12\" text-anchor=\"").Append(anchor).Append("\" fill=\"#1d2330\">")
                .Append(E(domains[i].Code)).Append("</text>\n");
        }
        var target = domains.Select(d => d.HasTarget ? (double?)d.Target : null).ToArray();
        var current = domains.Select(d => d.HasCurrent ? (double?)d.Current : null).ToArray();
        var median = domains.Select(d => d.Suppressed.Length == 0 ? (double?)d.PeersCurrent.Median : null).ToArray();
        h.Append(Series(current, n, "#1f6feb", "#1f6feb", "0.18", null, "current"));
        h.Append(Series(target, n, "#e8590c", "none", "0", "6 4", "target"));
        h.Append(Series(median, n, "#2f9e44", "none", "0", "2 3", "median"));
        h.Append("</svg>\n");
        h.Append("<p class=\"legend\"><span><span class=\"swatch\" style=\"background:#1f6feb\"></span>this city's current level</span>")
            .Append("<span><span class=\"swatch\" style=\"background:#e8590c\"></span>this city's target</span>")
            .Append("<span><span class=\"swatch\" style=\"background:#2f9e44\"></span>peers' median current level (only where shown)</span></p>\n");
        var hidden = domains.Count(d => d.Suppressed.Length > 0);
        if (hidden > 0)
        {
            h.Append("<p class=\"meta\">The peers' median is suppressed in ").Append(hidden.ToString(Invariant)).Append(" of ").Append(n.ToString(Invariant))
                .Append(" domains; the green line is drawn only between domains where it is shown.</p>\n");
        }
        return h.ToString();
    }

    // One series: a closed polygon when every domain has a value, otherwise the segments between neighbours that both have one;
    // a dot at every value.
    private static string Series(double?[] values, int n, string stroke, string fill, string fillOpacity, string? dash, string name)
    {
        var h = new StringBuilder();
        var dashAttr = dash is null ? string.Empty : $" stroke-dasharray=\"{dash}\"";
        h.Append("<g class=\"series-").Append(name).Append("\">\n");
        if (values.All(v => v is not null))
        {
            h.Append("<polygon points=\"").Append(string.Join(' ', values.Select((v, i) => Point(i, n, v!.Value)))).Append("\" fill=\"").Append(fill)
                .Append("\" fill-opacity=\"").Append(fillOpacity).Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"2.5\"").Append(dashAttr).Append("/>\n");
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                var j = (i + 1) % n;
                if (values[i] is { } a && values[j] is { } b)
                {
                    var (x1, y1) = Xy(i, n, a);
                    var (x2, y2) = Xy(j, n, b);
                    h.Append("<line x1=\"").Append(F(x1)).Append("\" y1=\"").Append(F(y1)).Append("\" x2=\"").Append(F(x2)).Append("\" y2=\"").Append(F(y2))
                        .Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"2.5\"").Append(dashAttr).Append("/>\n");
                }
            }
        }
        for (var i = 0; i < n; i++)
        {
            if (values[i] is { } v)
            {
                var (x, y) = Xy(i, n, v);
                h.Append("<circle cx=\"").Append(F(x)).Append("\" cy=\"").Append(F(y)).Append("\" r=\"3.5\" fill=\"").Append(stroke).Append("\"/>\n");
            }
        }
        h.Append("</g>\n");
        return h.ToString();
    }

    private static double Angle(int i, int n) => (-Math.PI / 2) + (2 * Math.PI * i / n);

    private static (double X, double Y) Xy(int i, int n, double level)
    {
        var r = Radius * Math.Clamp(level, 0, 6) / 5;
        return (Center + (r * Math.Cos(Angle(i, n))), Center + (r * Math.Sin(Angle(i, n))));
    }

    private static string Point(int i, int n, double level)
    {
        var (x, y) = Xy(i, n, level);
        return F(x) + "," + F(y);
    }

    private static string F(double value) => value.ToString("0.##", Invariant);

    // ---- shared wording --------------------------------------------------------------------------

    /// <summary>HTML-escapes text for element content and attribute values (&lt; &gt; &amp; " ').</summary>
    internal static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static string Describe(BenchmarkReply reply) =>
        reply.Cohort == "all peers"
            ? $"all peers ({reply.PeerCities} other {(reply.PeerCities == 1 ? "city" : "cities")} with a usable assessment)"
            : $"the cohort {reply.Cohort} ({reply.CohortCities} of {reply.PeerCities} other cities)";

    private static string Own(bool has, int level, double mean) => has ? $"{level} (mean {Number(mean)})" : "n/a";

    private static string Number(double value) => MaturityCommands.Number(value);

    private static string Short(string id) => id.Length > 16 ? id[..16] : id;

    private static string Suppression(string code, int k) => code == "complement-fewer-than-k"
        ? $"the cities left out by this cohort here are fewer than k = {k}"
        : $"fewer than k = {k} other cities";

    private static string GapReason(BenchmarkGap gap) => (gap.BelowTarget, gap.BelowPeerMedian) switch
    {
        (true, true) => "below target and below the peers' median",
        (true, false) => "below target",
        _ => "below the peers' median",
    };

    private static string Author(SharedPracticeInfo p) => p.AuthorName.Length > 0 ? $"by {OneLine(p.AuthorName)}" : $"by {p.Author[..Math.Min(16, p.Author.Length)]}…";

    private static string Endorsements(int n) => n == 1 ? "1 endorsement" : $"{n.ToString(Invariant)} endorsements";

    // Titles come from peers: one line, and no control characters (a terminal escape sequence in a hostile title stays inert).
    internal static string OneLine(string text) =>
        string.Join(' ', new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
