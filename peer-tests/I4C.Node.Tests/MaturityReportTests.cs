using System.Diagnostics;
using I4C.Cli;
using I4C.Core.Maturity;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;

namespace I4C.Node.Tests;

/// <summary>
/// The HTML benchmark report: self-contained, every peer string escaped, suppressed cells shown as suppressed, and — in
/// headless Chromium — a page that actually renders its radar chart and domain table.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MaturityReportTests
{
    private const string Hostile = "<script>alert('x')</script><img src=x onerror=alert(1)>\"' & <a href=\"https://evil.example\">";

    /// <summary>A benchmark of all 15 domains: every third suppressed, one gap with a hostile peer's practice.</summary>
    private static BenchmarkReply Sample()
    {
        var reply = new BenchmarkReply
        {
            Framework = MaturityFramework.Nis2V1,
            Cohort = "all peers",
            MinContributors = 5,
            PeerCities = 9,
            CohortCities = 9,
            AssessmentId = new string('a', 64),
            AssessmentCreatedUnixMs = 1_750_000_000_000,
            NodeName = "City of Testville " + Hostile,
            NodeId = new string('b', 52),
            ComputedUnixMs = 1_750_000_100_000,
        };
        var i = 0;
        foreach (var domain in MaturityFramework.Current.Domains)
        {
            var row = new BenchmarkDomain { Code = domain.Code, Title = domain.Title, Article = domain.Article, Current = 1 + (i % 3), Target = 4, CurrentMean = 1.5 + (i % 3), TargetMean = 4.0 };
            if (i % 3 == 2)
            {
                row.Suppressed = i % 2 == 0 ? "fewer-than-k" : "complement-fewer-than-k";
            }
            else
            {
                row.Contributors = 9;
                row.PeersCurrent = new Quartiles { LowerQuartile = 1.5, Median = 2.5, UpperQuartile = 3.0 };
                row.PeersTarget = new Quartiles { LowerQuartile = 3.0, Median = 4.0, UpperQuartile = 4.5 };
                row.PercentAtTarget = 22;
            }
            reply.Domains.Add(row);
            i++;
        }
        var gap = new BenchmarkGap { Code = "b-incident", Title = "Incident handling", Current = 1, Target = 4, PeerMedian = 2.5, BelowTarget = true, BelowPeerMedian = true };
        gap.PracticesBelowTarget.Add("b-incident.2");
        gap.Practices.Add(new SharedPracticeInfo
        {
            Id = new string('c', 64),
            Title = Hostile,
            Author = new string('d', 52),
            AuthorName = "Evil " + Hostile,
            CreatedUnixMs = 1_749_000_000_000,
            Endorsements = 3,
            Domains = { "b-incident", Hostile },
            Tlp = Tlp.Amber,
        });
        reply.Gaps.Add(gap);
        return reply;
    }

    [Fact]
    public void Html_HostilePeerStrings_EscapedNeverMarkup()
    {
        // Act
        var html = MaturityReport.Html(Sample());

        // Assert
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("evil.example\">", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39; &amp; &lt;a href=&quot;https://evil.example&quot;&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_SelfContained_LoadsNothingFromOutside()
    {
        // Act
        var html = MaturityReport.Html(Sample());

        // Assert: no script, no external style, image or font; links only to anchors in the page.
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" src=\"", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.All(System.Text.RegularExpressions.Regex.Matches(html, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value), href => Assert.StartsWith("#", href, StringComparison.Ordinal));
        Assert.Contains("Content-Security-Policy", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Tlp.Green, "TLP:GREEN", "tlp-green")]
    [InlineData(Tlp.AmberStrict, "TLP:AMBER+STRICT", "tlp-amber")]
    public void Html_MarkedWithTheStrictestInputLabel(Tlp label, string marking, string css)
    {
        // Arrange
        var reply = Sample();
        reply.Label = label;

        // Act
        var html = MaturityReport.Html(reply);
        using var text = new StringWriter();
        MaturityReport.Text(text, reply);

        // Assert: the marking comes first in the page and in the text, as TLP 2.0 asks.
        var body = html[html.IndexOf("<body>", StringComparison.Ordinal)..];
        Assert.StartsWith($"<body>\n<header>\n<p class=\"tlp {css}\">{marking}</p>", body, StringComparison.Ordinal);
        Assert.StartsWith(marking + ":", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(marking.Replace("TLP:", string.Empty, StringComparison.Ordinal).ToLowerInvariant(), (string?)MaturityReport.Json(reply)["tlp"]);
    }

    [Fact]
    public void Html_SuppressedCells_ShownAsSuppressedWithoutFigures()
    {
        // Act
        var html = MaturityReport.Html(Sample());

        // Assert
        Assert.Contains("<tr id=\"domain-b-incident\">", html, StringComparison.Ordinal);
        var row = html[html.IndexOf("<tr id=\"domain-b-incident\">", StringComparison.Ordinal)..];
        row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
        Assert.Contains("suppressed: fewer than k = 5 other cities", row, StringComparison.Ordinal);
        Assert.DoesNotContain("%", row, StringComparison.Ordinal);
        var prose = html[html.IndexOf("</style>", StringComparison.Ordinal)..].Replace("no minimum or maximum is ever shown", string.Empty, StringComparison.Ordinal);
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex(@"\b(min|max|minimum|maximum)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase), prose);
    }

    [Fact]
    public async Task Html_InHeadlessChromium_RendersChartAndTable()
    {
        // Arrange
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "chromium is not installed, and this test needs it to render the HTML report: run `apt-get install -y chromium` as root (.ci/run does).");
        using var temp = new TempDirectory();
        var page = temp.Sub("report.html");
        await File.WriteAllTextAsync(page, MaturityReport.Html(Sample()));
        var screenshot = temp.Sub("report.png");
        var url = new Uri(page).AbsoluteUri;

        // Act
        var shot = await RunAsync(chromium!, temp, $"--screenshot={screenshot}", "--window-size=1200,1600", url);
        var dom = await RunAsync(chromium!, temp, "--dump-dom", url);

        // Assert: the screenshot is a real picture of the page.
        Assert.True(File.Exists(screenshot), $"no screenshot; chromium said: {shot}");
        var image = PngImage.Decode(await File.ReadAllBytesAsync(screenshot));
        Assert.Equal((1200, 1600), (image.Width, image.Height));
        var colours = new HashSet<uint>();
        var inked = 0;
        var blue = false;
        for (var y = 0; y < image.Height; y += 2)
        {
            for (var x = 0; x < image.Width; x += 2)
            {
                var p = image.PixelAt(x, y);
                colours.Add(p);
                var (r, g, b) = ((int)(p >> 24), (int)((p >> 16) & 0xFF), (int)((p >> 8) & 0xFF));
                inked += r + g + b < 600 ? 1 : 0;
                blue |= Math.Abs(r - 0x1f) < 12 && Math.Abs(g - 0x6f) < 12 && Math.Abs(b - 0xeb) < 12;
            }
        }
        Assert.True(colours.Count > 50, $"the screenshot has only {colours.Count} colours: blank or unstyled");
        Assert.True(inked > image.Width * image.Height / 4 / 100, $"only {inked} dark pixels sampled: the page looks blank");
        Assert.True(blue, "no pixel of the current-level series colour (#1f6feb): the radar chart did not render");

        // Assert: the DOM Chromium built has the chart and the whole table, and the hostile title stayed text.
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
        Assert.Contains("class=\"series-current\"", dom, StringComparison.Ordinal);
        Assert.Equal(MaturityFramework.Current.Domains.Count, System.Text.RegularExpressions.Regex.Matches(dom, "<tr id=\"domain-").Count);
        Assert.Contains("suppressed: fewer than k = 5 other cities", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", dom, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(string chromium, TempDirectory temp, params string[] args)
    {
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--user-data-dir={temp.Sub("chromium-profile")}" }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within 90 s: {string.Join(' ', args)}");
        }
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
        return output;
    }
}
