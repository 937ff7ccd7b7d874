using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using I4C.Cli;
using I4C.Core.Maturity;
using I4C.Core.Records;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>
/// The maturity commands against an in-process node: the answers template filled in and published with --from, every
/// validation error as one line naming the item, the interactive questionnaire driven through stdin and resumed,
/// practice --domain checks, and the benchmark's outputs on a node without peers.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MaturityCliTests
{
    private static MaturityFramework Framework => MaturityFramework.Current;

    private static async Task<CliResult> RunWithInputAsync(string input, params string[] args)
    {
        using var stdin = new StringReader(input);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource(TestTimeouts.Default);
        var code = await CliApp.RunAsync(args, stdin, stdout, stderr, cancel.Token).WithTimeout();
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The template as printed, with the profile set and every practice answered 2 → 3, except gov.2 N/A.</summary>
    private static async Task<JsonObject> FilledTemplateAsync(string data)
    {
        var template = await CliRunner.RunAsync("assess", "template", "--data", data);
        Assert.True(template.ExitCode == 0, template.ToString());
        var doc = JsonNode.Parse(template.Stdout)!.AsObject();
        var profile = doc["profile"]!.AsObject();
        profile["nis2Status"] = "important";
        profile["country"] = "DE";
        profile["category"] = "eu-city";
        profile["population"] = "200k-1M";
        profile["itStaff"] = "10-50";
        foreach (var practice in doc["domains"]!.AsArray().SelectMany(d => d!["practices"]!.AsArray()))
        {
            if (practice!["id"]!.GetValue<string>() == "gov.2")
            {
                practice["notApplicable"] = true;
                practice["notApplicableReason"] = "The council receives no security reports by law; the CISO reports to the mayor (gov.1).";
            }
            else
            {
                practice["current"] = 2;
                practice["target"] = 3;
                practice["evidence"] = "Annual audit report 2024";
            }
        }
        return doc;
    }

    private static JsonObject Practice(JsonObject doc, string id) =>
        doc["domains"]!.AsArray().SelectMany(d => d!["practices"]!.AsArray()).Single(p => p!["id"]!.GetValue<string>() == id)!.AsObject();

    private static async Task<IReadOnlyList<RecordSummary>> AssessmentsAsync(TestNode node) =>
        (await node.Admin.FeedAsync(new FeedRequest { Kind = RecordKind.Assessment }, Deadline()).ResponseAsync.WithTimeout()).Records;

    [Fact]
    public async Task AssessTemplate_ListsEveryPracticeWithTextAndTheProfile()
    {
        // Act
        var result = await CliRunner.RunAsync("assess", "template");

        // Assert
        Assert.Equal(0, result.ExitCode);
        var doc = JsonNode.Parse(result.Stdout)!.AsObject();
        Assert.Equal(AnswersFile.FormatVersion, doc["format"]!.GetValue<string>());
        var practices = doc["domains"]!.AsArray().SelectMany(d => d!["practices"]!.AsArray()).ToArray();
        Assert.Equal(Framework.Practices.Select(p => p.Id), practices.Select(p => p!["id"]!.GetValue<string>()));
        Assert.All(practices, p => Assert.Equal(Framework.FindPractice(p!["id"]!.GetValue<string>())!.Text, p!["text"]!.GetValue<string>()));
        Assert.NotNull(doc["profile"]!["allowed"]);
    }

    [Fact]
    public async Task AssessFrom_FilledTemplate_PublishesTheAssessmentRecord()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var file = Path.Combine(node.DataPath, "..", "answers.json");
        await File.WriteAllTextAsync(file, (await FilledTemplateAsync(node.DataPath)).ToJsonString());

        // Act
        var result = await CliRunner.RunAsync("assess", "--from", file, "--tlp", "amber", "--json", "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var reply = JsonNode.Parse(result.Stdout)!;
        var id = reply["id"]!.GetValue<string>();
        Assert.Equal("assessment", reply["kind"]!.GetValue<string>());
        Assert.Equal(2, reply["domains"]!.AsArray().Single(d => d!["code"]!.GetValue<string>() == "b-incident")!["current"]!.GetValue<int>());
        var stored = Assert.Single(await AssessmentsAsync(node));
        Assert.Equal(id, stored.Id);
        Assert.Equal(Tlp.Amber, stored.Tlp);
        Assert.Equal("NIS2 self-assessment (nis2-maturity/1, DE, important)", stored.Title);
        var shown = await node.Admin.ShowAsync(new ShowRequest { Id = id }, Deadline()).ResponseAsync.WithTimeout();
        var assessment = AssessmentPayload.Decode(shown.Raw.Payload.Span);
        Assert.True(assessment.AnswerFor("gov.2")!.NotApplicable);
        Assert.Equal(PracticeAnswer.Rated("b-incident.1", 2, 3, "Annual audit report 2024"), assessment.AnswerFor("b-incident.1"));
    }

    public static TheoryData<string, string, string> InvalidAnswers => new()
    {
        { "unknown practice", "UNKNOWN_PRACTICE", "gov.9" },
        { "level out of range", "LEVEL_OUT_OF_RANGE", "b-incident.3" },
        { "N/A without a reason", "NOT_APPLICABLE_WITHOUT_REASON", "h-crypto.2" },
    };

    [Theory]
    [MemberData(nameof(InvalidAnswers))]
    public async Task AssessFrom_InvalidAnswer_OneErrorLineNamingTheItemAndNothingPublished(string scenario, string code, string practice)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var doc = await FilledTemplateAsync(node.DataPath);
        switch (code)
        {
            case "UNKNOWN_PRACTICE":
                Practice(doc, "gov.5")["id"] = practice;
                break;
            case "LEVEL_OUT_OF_RANGE":
                Practice(doc, practice)["current"] = 7;
                break;
            default:
                var entry = Practice(doc, practice);
                entry["current"] = null;
                entry["target"] = null;
                entry["notApplicable"] = true;
                entry["notApplicableReason"] = "";
                break;
        }
        var file = Path.Combine(node.DataPath, "..", "answers.json");
        await File.WriteAllTextAsync(file, doc.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        // Act
        var result = await CliRunner.RunAsync("assess", "--from", file, "--tlp", "amber", "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Refused, $"{scenario}: {result}");
        var line = Assert.Single(result.ErrorLines, l => !l.Contains("MISSING_ANSWERS", StringComparison.Ordinal));
        Assert.StartsWith("i4c: answers.json: line ", line, StringComparison.Ordinal);
        Assert.Contains(code, line, StringComparison.Ordinal);
        Assert.Contains($"'{practice}'", line, StringComparison.Ordinal);
        Assert.Empty(await AssessmentsAsync(node));
    }

    [Fact]
    public async Task AssessFrom_WithoutTlp_UsageErrorAndNothingPublished()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var file = Path.Combine(node.DataPath, "..", "answers.json");
        await File.WriteAllTextAsync(file, (await FilledTemplateAsync(node.DataPath)).ToJsonString());

        // Act
        var result = await CliRunner.RunAsync("assess", "--from", file, "--data", node.DataPath);

        // Assert
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--tlp is required", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(await AssessmentsAsync(node));
    }

    [Fact]
    public async Task Assess_InteractiveStoppedByEndOfInput_ResumesWhereItStoppedAndPublishes()
    {
        // Arrange: the profile (with one wrong answer first), two practices, then the input ends.
        await using var node = await TestNode.StartAsync();
        var first = new StringBuilder()
            .Append("very important\nimportant\nde\neu-city\n200k-1M\n10-50\n")
            .Append("2\n3\nCouncil decision 2024/17\n")
            .Append("na\nThe council receives no security reports by law.\n")
            .ToString();

        // Act 1
        var stopped = await RunWithInputAsync(first, "assess", "--data", node.DataPath);

        // Assert 1
        Assert.True(stopped.ExitCode == ExitCodes.Usage, stopped.ToString());
        Assert.Contains("2 of 77 practices answered", Assert.Single(stopped.ErrorLines), StringComparison.Ordinal);
        Assert.Contains("'very important' is not one of the allowed values", stopped.Stdout, StringComparison.Ordinal);
        Assert.Contains("[1/77] gov.1: " + Framework.FindPractice("gov.1")!.Text, stopped.Stdout, StringComparison.Ordinal);
        Assert.Contains("5  Continuously improving", stopped.Stdout, StringComparison.Ordinal);
        var progress = Path.Combine(node.DataPath, AssessProgress.FileName);
        Assert.Equal("600", FileModes.Octal(FileModes.Of(progress)));
        Assert.Empty(await AssessmentsAsync(node));

        // Arrange 2: the other 75 practices at 1 (Enter keeps target = current, Enter skips evidence), TLP default, confirm.
        var rest = new StringBuilder();
        for (var i = 2; i < Framework.Practices.Count; i++)
        {
            rest.Append("1\n\n\n");
        }
        rest.Append("\ny\n");

        // Act 2
        var resumed = await RunWithInputAsync(rest.ToString(), "assess", "--json", "--data", node.DataPath);

        // Assert 2
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("Resuming the self-assessment", resumed.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("NIS2 status (", resumed.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[1/77]", resumed.Stdout, StringComparison.Ordinal);
        Assert.Contains("[3/77] gov.3", resumed.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(progress));
        var stored = Assert.Single(await AssessmentsAsync(node));
        Assert.Equal(Tlp.Amber, stored.Tlp);
        var shown = await node.Admin.ShowAsync(new ShowRequest { Id = stored.Id }, Deadline()).ResponseAsync.WithTimeout();
        var assessment = AssessmentPayload.Decode(shown.Raw.Payload.Span);
        Assert.Equal(PracticeAnswer.Rated("gov.1", 2, 3, "Council decision 2024/17"), assessment.AnswerFor("gov.1"));
        Assert.Equal(PracticeAnswer.NotApplicableBecause("gov.2", "The council receives no security reports by law."), assessment.AnswerFor("gov.2"));
        Assert.Equal(PracticeAnswer.Rated("share.5", 1, 1), assessment.AnswerFor("share.5"));
        Assert.Equal(new CityProfile(Nis2Status.Important, "DE", Core.Identity.MemberCategory.EuCity, PopulationBand.From200KTo1M, ItStaffBand.From10To50), assessment.Profile);
    }

    [Fact]
    public async Task Assess_InteractiveDeclined_KeepsTheAnswersAndPublishesNothing()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var input = new StringBuilder("essential\nFR\neu-city\n>1M\n>200\n");
        for (var i = 0; i < Framework.Practices.Count; i++)
        {
            input.Append("3\n4\n\n");
        }
        input.Append("green\nn\n");

        // Act
        var result = await RunWithInputAsync(input.ToString(), "assess", "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Publish this assessment to all members at TLP:GREEN? [y/N]", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Not published", result.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(node.DataPath, AssessProgress.FileName)));
        Assert.Empty(await AssessmentsAsync(node));
    }

    [Fact]
    public async Task PublishPractice_UnknownDomain_UsageErrorNamingTheCode()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var result = await CliRunner.RunAsync("publish", "practice", "--data", node.DataPath, "--tlp", "green", "--title", "T", "--body", "B", "--domain", "b-incident", "--domain", "incident-handling");

        // Assert
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("'incident-handling' is not a domain of nis2-maturity/1", line, StringComparison.Ordinal);
        Assert.Contains("b-incident", line, StringComparison.Ordinal);
        Assert.Equal(0UL, (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).TotalRecords);
    }

    [Fact]
    public async Task PublishPractice_DomainsInAnyCase_StoredAsFrameworkCodes()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var result = await CliRunner.RunAsync("publish", "practice", "--data", node.DataPath, "--tlp", "green", "--title", "Tabletop exercise kit", "--body", "B",
            "--domain", "B-Incident", "--domain", "c-continuity,b-incident");

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var shown = await node.Admin.ShowAsync(new ShowRequest { Id = result.Stdout.Trim() }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal(new[] { "b-incident", "c-continuity" }, shown.Practice.Domains.ToArray());
    }

    [Fact]
    public async Task AdminPublish_PracticeWithUnknownDomain_InvalidArgument()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var request = new PublishRequest { Tlp = Tlp.Green, Practice = new Practice { Title = "T", Body = "B", Domains = { "gov", "nope" } } };

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => node.Admin.PublishAsync(request, Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("'nope'", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Benchmark_BeforeAnyAssessment_RefusedWithWhatToDo()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var result = await CliRunner.RunAsync("benchmark", "--data", node.DataPath);

        // Assert
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("i4c assess", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Benchmark_WithoutPeers_EveryCellSuppressedAndReportWritten()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var file = Path.Combine(node.DataPath, "..", "answers.json");
        await File.WriteAllTextAsync(file, (await FilledTemplateAsync(node.DataPath)).ToJsonString());
        Assert.Equal(0, (await CliRunner.RunAsync("assess", "--from", file, "--tlp", "amber", "--data", node.DataPath)).ExitCode);
        var html = Path.Combine(node.DataPath, "..", "report.html");

        // Act
        var result = await CliRunner.RunAsync("benchmark", "--json", "--html", html, "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var doc = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(5, doc["k"]!.GetValue<int>());
        Assert.Equal(0, doc["peerCities"]!.GetValue<int>());
        Assert.All(doc["domains"]!.AsArray(), d =>
        {
            Assert.Equal("fewer-than-k", d!["suppressed"]!.GetValue<string>());
            Assert.Null(d["peers"]);
        });
        var gap = Assert.Single(doc["gaps"]!.AsArray(), g => g!["code"]!.GetValue<string>() == "b-incident");
        Assert.True(gap!["belowTarget"]!.GetValue<bool>());
        var page = await File.ReadAllTextAsync(html);
        Assert.Contains("<svg", page, StringComparison.Ordinal);
        Assert.Contains("suppressed: fewer than k = 5 other cities", page, StringComparison.Ordinal);
        Assert.Equal("600", FileModes.Octal(FileModes.Of(html)));
    }

    [Fact]
    public async Task Benchmark_InvalidCohort_UsageErrorNamingTheKey()
    {
        // Act
        var result = await CliRunner.RunAsync("benchmark", "--cohort", "town=Bonn");

        // Assert
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("unknown cohort key 'town'", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
