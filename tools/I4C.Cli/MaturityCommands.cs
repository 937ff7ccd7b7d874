using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Maturity;
using I4C.Core.Records;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Cli;

/// <summary>
/// The NIS2 maturity commands (docs/maturity.md): <c>assess template</c>, <c>assess --from FILE</c>, the interactive
/// <c>assess</c>, and <c>benchmark</c>. Validation, scoring and the disclosure rules are in <c>I4C.Core.Maturity</c> and the node;
/// these commands read files and the terminal, and print.
/// </summary>
public static class MaturityCommands
{
    public static IEnumerable<Command> Build(CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        yield return Assess(ctx);
        yield return Benchmark(ctx);
    }

    // ---- assess ----------------------------------------------------------------------------

    private static Command Assess(CliContext ctx)
    {
        var from = new Option<FileInfo?>("--from") { Description = "Read the answers from this file (made with 'i4c assess template') instead of asking." };
        var tlp = new Option<string?>("--tlp") { Description = "clear, green, amber, amber+strict or red. Required with --from; asked for otherwise." };
        tlp.AcceptOnlyFromAmong("clear", "green", "amber", "amber+strict", "red");
        var to = new Option<string[]>("--to") { Description = "Recipient node ids (comma-separated or repeated); default all members.", Arity = ArgumentArity.ZeroOrMore };
        var expires = new Option<string?>("--expires") { Description = "Purge the assessment everywhere after this long: 90m, 12h, 30d, 2w or ISO 8601 (P30D)." };
        var command = new Command("assess", "NIS2 maturity self-assessment: answer the questionnaire (interactive, resumable) or publish an answers file with --from.")
            { from, tlp, to, expires };

        var template = new Command("template", "Print the answers file to fill in: the profile and every practice with its text.");
        template.SetAction(parse =>
        {
            ctx.Out.Write(AnswersFile.Template(MaturityFramework.Current));
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(template);

        command.SetAction(async (parse, ct) =>
        {
            var recipients = Recipients(parse.GetValue(to));
            var expiry = Expiry(parse.GetValue(expires));
            var label = parse.GetValue(tlp) is { } text && TlpLabels.TryParse(text, out var parsed) ? parsed : (Tlp?)null;
            if (parse.GetValue(from) is { } file)
            {
                if (label is null)
                {
                    throw new CliException(ExitCodes.Usage, "--tlp is required with --from: clear, green, amber, amber+strict or red (amber keeps it within the members' organisations).");
                }
                var assessment = ReadAnswers(ctx, file);
                return await PublishAsync(ctx, parse, assessment, label.Value, recipients, expiry, ct).ConfigureAwait(false);
            }
            return await InteractiveAsync(ctx, parse, label, recipients, expiry, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Reads and validates an answers file; every error is printed (one line each, with its position) and nothing is published.</summary>
    internal static Assessment ReadAnswers(CliContext ctx, FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliException(ExitCodes.Usage, $"--from: {file.FullName} does not exist. Make one with: i4c assess template > answers.json");
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"--from: cannot read {file.FullName}: {ex.Message}");
        }
        var result = AnswersFile.Parse(bytes);
        foreach (var warning in result.Warnings)
        {
            ctx.Err.WriteLine($"i4c: {file.Name}: {warning}");
        }
        if (result.Assessment is { } assessment)
        {
            return assessment;
        }
        var errors = result.Errors.ToArray();
        const int Shown = 20;
        foreach (var error in errors.Skip(1).Take(Shown - 1))
        {
            ctx.Err.WriteLine($"i4c: {file.Name}: {error}");
        }
        var more = errors.Length > Shown ? $" (and {errors.Length - Shown} more)" : string.Empty;
        // The first error is the exception's line, so a script reading the last line still sees what was wrong first.
        throw new CliException(ExitCodes.Refused, $"{file.Name}: {errors[0]}{more}; {errors.Length} error(s), nothing was published.");
    }

    private static async Task<int> PublishAsync(CliContext ctx, ParseResult parse, Assessment assessment, Tlp label, IReadOnlyList<string> recipients, long expiry, CancellationToken ct)
    {
        var request = new PublishAssessmentRequest
        {
            Assessment = ByteString.CopyFrom(AssessmentPayload.Encode(assessment)),
            Tlp = label,
            ExpiresUnixMs = expiry,
        };
        request.To.AddRange(recipients);
        using var node = NodeConnection.Open(ctx.DataFor(parse));
        var reply = await node.Client.PublishAssessmentAsync(request, NodeConnection.Options(ct)).ConfigureAwait(false);
        if (ctx.Json(parse))
        {
            var domains = new JsonArray();
            foreach (var d in reply.Domains)
            {
                domains.Add(new JsonObject
                {
                    ["code"] = d.Code,
                    ["current"] = d.HasCurrent ? d.Current : null,
                    ["currentMean"] = d.HasCurrentMean ? d.CurrentMean : null,
                    ["target"] = d.HasTarget ? d.Target : null,
                    ["targetMean"] = d.HasTargetMean ? d.TargetMean : null,
                });
            }
            Output.Json(ctx.Out, new JsonObject
            {
                ["id"] = reply.Id,
                ["seq"] = reply.Seq,
                ["kind"] = RecordKinds.Name(RecordKind.Assessment),
                ["tlp"] = TlpLabels.Short(label),
                ["framework"] = assessment.FrameworkVersion,
                ["domains"] = domains,
                ["warnings"] = new JsonArray(reply.Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
            });
            return ExitCodes.Ok;
        }
        Output.Table(ctx.Out, ["DOMAIN", "ARTICLE", "CURRENT", "TARGET"], reply.Domains.Select(d => (IReadOnlyList<string>)[
            d.Code,
            d.Article,
            d.HasCurrent ? $"{d.Current} (mean {Number(d.CurrentMean)})" : "n/a",
            d.HasTarget ? $"{d.Target} (mean {Number(d.TargetMean)})" : "n/a",
        ]));
        ctx.Out.WriteLine();
        ctx.Out.WriteLine($"Published the NIS2 self-assessment at {TlpLabels.Display(label)}{(recipients.Count > 0 ? $" to {recipients.Count} named member(s)" : string.Empty)}:");
        ctx.Out.WriteLine(reply.Id);
        return ExitCodes.Ok;
    }

    // ---- the interactive questionnaire -----------------------------------------------------

    private sealed class InputEnded : Exception;

    private sealed class Stop : Exception;

    private static async Task<int> InteractiveAsync(CliContext ctx, ParseResult parse, Tlp? label, IReadOnlyList<string> recipients, long expiry, CancellationToken ct)
    {
        var data = ctx.DataFor(parse);
        if (!Directory.Exists(data.Root))
        {
            throw new CliException(ExitCodes.DataDirectory, $"{data.Root} does not exist; the questionnaire keeps its progress in the node's data directory. Create a node first: i4c init --data {data.Root} …");
        }
        var path = AssessProgress.PathIn(data);
        var progress = AssessProgress.Load(path);
        var framework = progress?.Framework ?? MaturityFramework.Current;
        var output = ctx.Out;
        if (progress is null)
        {
            progress = AssessProgress.New(path, framework);
            output.WriteLine($"NIS2 maturity self-assessment ({framework.Version}): {framework.Domains.Count} domains, {framework.Practices.Count} practices.");
            output.WriteLine("Your answers are saved after each one; stop with 'q' (or Ctrl+D) and run 'i4c assess' again to continue.");
        }
        else
        {
            output.WriteLine($"Resuming the self-assessment saved in {path}: {progress.Answered} of {framework.Practices.Count} practices answered.");
        }
        output.WriteLine();
        WriteScale(output, framework);

        try
        {
            await AskProfileAsync(ctx, progress, ct).ConfigureAwait(false);
            await AskPracticesAsync(ctx, progress, ct).ConfigureAwait(false);

            var assessment = progress.ToAssessment()
                ?? throw new CliException(ExitCodes.Internal, $"the answers in {path} are incomplete although every question was asked; delete the file and start over.");
            var validation = AssessmentValidator.Validate(assessment);
            if (!validation.IsValid)
            {
                throw new CliException(ExitCodes.Refused, $"the answers in {path} are not valid: {validation.Errors.First()}; correct or delete the file.");
            }
            foreach (var warning in validation.Warnings)
            {
                output.WriteLine("warning: " + warning);
            }
            var score = MaturityScoring.Score(assessment);
            output.WriteLine();
            output.WriteLine("All practices answered. Domain levels (the lowest applicable practice; the mean beside it):");
            Output.Table(output, ["DOMAIN", "ARTICLE", "CURRENT", "TARGET"], score.Domains.Select(d => (IReadOnlyList<string>)[
                d.Code,
                framework.FindDomain(d.Code)!.Article,
                d.Current is { } c ? $"{c} (mean {Number(d.CurrentMean!.Value)})" : "n/a",
                d.Target is { } t ? $"{t} (mean {Number(d.TargetMean!.Value)})" : "n/a",
            ]));
            output.WriteLine();

            var chosen = label ?? await AskAsync(ctx, "TLP label for the assessment (clear, green, amber, amber+strict, red) [amber]: ", text =>
                text.Length == 0 ? (Tlp.Amber, null)
                : TlpLabels.TryParse(text, out var l) ? (l, null)
                : (Tlp.Unspecified, $"'{text}' is not a TLP label; answer clear, green, amber, amber+strict or red."), ct).ConfigureAwait(false);
            var audience = recipients.Count > 0 ? $" to {recipients.Count} named member(s)" : " to all members";
            var publish = await AskAsync(ctx, $"Publish this assessment{audience} at {TlpLabels.Display(chosen)}? [y/N]: ", text =>
                text.ToLowerInvariant() switch
                {
                    "y" or "yes" => (true, null),
                    "" or "n" or "no" => (false, null),
                    _ => (false, "answer y or n."),
                }, ct).ConfigureAwait(false);
            if (!publish)
            {
                output.WriteLine($"Not published. Your answers stay in {path}; run 'i4c assess' to publish them.");
                return ExitCodes.Ok;
            }
            var exit = await PublishAsync(ctx, parse, assessment, chosen, recipients, expiry, ct).ConfigureAwait(false);
            progress.Delete();
            return exit;
        }
        catch (Stop)
        {
            output.WriteLine($"Stopped: {progress.Answered} of {framework.Practices.Count} practices answered, saved in {path}. Run 'i4c assess' to continue.");
            return ExitCodes.Ok;
        }
        catch (InputEnded)
        {
            throw new CliException(ExitCodes.Usage, $"input ended: {progress.Answered} of {framework.Practices.Count} practices answered, saved in {path}; run 'i4c assess' again to continue.");
        }
    }

    private static void WriteScale(TextWriter output, MaturityFramework framework)
    {
        output.WriteLine("The scale:");
        foreach (var level in framework.Scale)
        {
            output.WriteLine($"  {level.Level}  {level.Name}: {level.Meaning}");
        }
        output.WriteLine();
    }

    private static async Task AskProfileAsync(CliContext ctx, AssessProgress progress, CancellationToken ct)
    {
        (string Field, string Question, Func<string, string?> Check)[] questions =
        [
            ("nis2Status", $"NIS2 status ({string.Join(", ", CityProfile.Nis2StatusTokens)}): ",
                t => CityProfile.TryParseNis2Status(t, out var v) ? CityProfile.Format(v) : null),
            ("country", "Country (ISO 3166-1 alpha-2, e.g. DE): ",
                t => CityProfile.IsCountryCode(t.ToUpperInvariant()) ? t.ToUpperInvariant() : null),
            ("category", $"Category ({string.Join(", ", CityProfile.CategoryTokens)}): ",
                t => CityProfile.TryParseCategory(t, out var v) ? CityProfile.Format(v) : null),
            ("population", $"Population band ({string.Join(", ", CityProfile.PopulationTokens)}): ",
                t => CityProfile.TryParsePopulation(t, out var v) ? CityProfile.Format(v) : null),
            ("itStaff", $"IT staff band, full-time equivalents ({string.Join(", ", CityProfile.ItStaffTokens)}): ",
                t => CityProfile.TryParseItStaff(t, out var v) ? CityProfile.Format(v) : null),
        ];
        if (questions.All(q => progress.Profile.ContainsKey(q.Field)))
        {
            return;
        }
        ctx.Out.WriteLine("== The city's profile (it places the city in benchmark cohorts) ==");
        foreach (var (field, question, check) in questions)
        {
            if (progress.Profile.ContainsKey(field))
            {
                continue;
            }
            progress.Profile[field] = await AskAsync(ctx, question, text =>
            {
                if (text.Equals("q", StringComparison.OrdinalIgnoreCase))
                {
                    throw new Stop();
                }
                return check(text) is { } token ? (token, null) : (string.Empty, $"'{text}' is not one of the allowed values.");
            }, ct).ConfigureAwait(false);
            progress.Save();
        }
        ctx.Out.WriteLine();
    }

    private static async Task AskPracticesAsync(CliContext ctx, AssessProgress progress, CancellationToken ct)
    {
        var framework = progress.Framework;
        var output = ctx.Out;
        string? shownDomain = null;
        for (var i = 0; i < framework.Practices.Count; i++)
        {
            var practice = framework.Practices[i];
            if (progress.Answers.ContainsKey(practice.Id))
            {
                continue;
            }
            var domain = framework.DomainOf(practice);
            if (domain.Code != shownDomain)
            {
                shownDomain = domain.Code;
                output.WriteLine($"== {domain.Code}: {domain.Title} (NIS2 {domain.Article}) ==");
                output.WriteLine(domain.Summary);
                output.WriteLine();
            }
            output.WriteLine($"[{i + 1}/{framework.Practices.Count}] {practice.Id}: {practice.Text}");
            progress.Answers[practice.Id] = await AskPracticeAsync(ctx, framework, practice.Id, ct).ConfigureAwait(false);
            progress.Save();
            output.WriteLine();
        }
    }

    private static async Task<PracticeAnswer> AskPracticeAsync(CliContext ctx, MaturityFramework framework, string id, CancellationToken ct)
    {
        var max = MaturityFramework.MaxLevel;
        while (true)
        {
            var first = await AskAsync(ctx, $"  Current level 0-{max}, 'na' if it does not apply, '?' for the scale, 'q' to stop: ", text =>
            {
                var t = text.ToLowerInvariant();
                if (t == "q")
                {
                    throw new Stop();
                }
                return t is "na" or "n/a" or "?" || Level(t) is not null ? (t, null) : (string.Empty, $"'{text}' is not a level from 0 to {max}, 'na', '?' or 'q'.");
            }, ct).ConfigureAwait(false);
            if (first == "?")
            {
                WriteScale(ctx.Out, framework);
                continue;
            }
            if (first is "na" or "n/a")
            {
                var reason = await AskAsync(ctx, "  Why does it not apply to the city? ", text =>
                    text.Length == 0 ? (text, "a reason is required for N/A.")
                    : text.Length > AssessmentValidator.MaxReasonLength ? (text, $"at most {AssessmentValidator.MaxReasonLength} characters.")
                    : (text, null), ct).ConfigureAwait(false);
                return PracticeAnswer.NotApplicableBecause(id, reason);
            }
            var current = Level(first)!.Value;
            var target = await AskAsync(ctx, $"  Target level 0-{max} [Enter = {current}]: ", text =>
                text.Length == 0 ? (current, null)
                : Level(text) is { } l ? (l, null)
                : (0, $"'{text}' is not a level from 0 to {max}."), ct).ConfigureAwait(false);
            if (target < current)
            {
                ctx.Out.WriteLine($"  note: target {target} is below current {current}; that is allowed and counts as at target.");
            }
            var evidence = await AskAsync(ctx, "  Evidence (what shows this level; optional, Enter to skip): ", text =>
                text.Length > AssessmentValidator.MaxEvidenceLength ? (text, $"at most {AssessmentValidator.MaxEvidenceLength} characters.") : (text, null), ct).ConfigureAwait(false);
            return PracticeAnswer.Rated(id, current, target, evidence.Length == 0 ? null : evidence);
        }
    }

    private static int? Level(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level is >= MaturityFramework.MinLevel and <= MaturityFramework.MaxLevel
            ? level
            : null;

    /// <summary>Asks until <paramref name="check"/> accepts the trimmed answer (it returns the value and null, or an error to show).</summary>
    private static async Task<T> AskAsync<T>(CliContext ctx, string question, Func<string, (T Value, string? Error)> check, CancellationToken ct)
    {
        while (true)
        {
            ctx.Out.Write(question);
            await ctx.Out.FlushAsync(ct).ConfigureAwait(false);
            var line = await ctx.In.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                ctx.Out.WriteLine();
                throw new InputEnded();
            }
            var (value, error) = check(line.Trim());
            if (error is null)
            {
                return value;
            }
            ctx.Out.WriteLine("  " + error);
        }
    }

    // ---- benchmark -------------------------------------------------------------------------

    private static Command Benchmark(CliContext ctx)
    {
        var cohort = new Option<string?>("--cohort") { Description = $"Compare only with peers whose profile matches: key=value,… (keys {string.Join(", ", CohortFilter.Keys)}), e.g. country=DE,category=eu-city." };
        var html = new Option<FileInfo?>("--html") { Description = "Also write the report as one self-contained HTML page to this file (owner-only)." };
        var perGap = new Option<int>("--practices") { Description = "At most this many shared practices per gap (default 10, at most 50)." };
        var command = new Command("benchmark", "Compare this city's latest self-assessment with its peers', domain by domain, with the practices peers shared for each gap.")
            { cohort, html, perGap };
        command.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(cohort);
            if (!CohortFilter.TryParse(text, out _, out var error))
            {
                throw new CliException(ExitCodes.Usage, "--cohort: " + error);
            }
            if (parse.GetValue(perGap) is var n && n < 0)
            {
                throw new CliException(ExitCodes.Usage, "--practices: give a number from 1 to 50.");
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.BenchmarkAsync(new BenchmarkRequest { Cohort = text ?? string.Empty, PracticesPerGap = n }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (parse.GetValue(html) is { } file)
            {
                try
                {
                    SecureFile.WriteAllText(file.FullName, MaturityReport.Html(reply));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CliException(ExitCodes.Usage, $"--html: cannot write {file.FullName}: {ex.Message}");
                }
            }
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, MaturityReport.Json(reply));
            }
            else
            {
                MaturityReport.Text(ctx.Out, reply);
                if (parse.GetValue(html) is { } written)
                {
                    ctx.Out.WriteLine();
                    ctx.Out.WriteLine($"Report written to {written.FullName}");
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // ---- shared ----------------------------------------------------------------------------

    /// <summary>
    /// The domain codes of `i4c publish practice --domain`: trimmed, lower-case, without duplicates, each a domain of the
    /// framework this CLI ships; an unknown one is a usage error naming it and listing the known codes.
    /// </summary>
    internal static IReadOnlyList<string> DomainCodes(IEnumerable<string>? values)
    {
        var framework = MaturityFramework.Current;
        var codes = new List<string>();
        foreach (var raw in (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var code = raw.ToLowerInvariant();
            if (framework.FindDomain(code) is null)
            {
                throw new CliException(ExitCodes.Usage, $"--domain: '{raw}' is not a domain of {framework.Version}; the domains are: {string.Join(", ", framework.Domains.Select(d => d.Code))}.");
            }
            if (!codes.Contains(code))
            {
                codes.Add(code);
            }
        }
        return codes;
    }

    private static List<string> Recipients(string[]? values)
    {
        var list = new List<string>();
        foreach (var recipient in (values ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!NodeId.TryParse(recipient, out _))
            {
                throw new CliException(ExitCodes.Usage, $"--to: '{recipient}' is not a node id (52 base32 characters, as `i4c status` shows).");
            }
            list.Add(recipient);
        }
        return list;
    }

    private static long Expiry(string? text)
    {
        if (text is null)
        {
            return 0;
        }
        return Durations.TryParse(text, out var duration)
            ? DateTimeOffset.UtcNow.Add(duration).ToUnixTimeMilliseconds()
            : throw new CliException(ExitCodes.Usage, $"--expires: '{text}' is not a duration; write e.g. 90m, 12h, 30d, 2w or P30D.");
    }

    internal static string Number(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
