using System.CommandLine;
using System.Text.Json.Nodes;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Interop.Misp;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Cli;

/// <summary>Interop commands: <c>import misp</c> and <c>export misp</c> (docs/interop.md).</summary>
public static class InteropCommands
{
    public static IEnumerable<Command> Build(CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var import = new Command("import", "Publish records from another tool's files: misp.");
        import.Subcommands.Add(ImportMisp(ctx));
        yield return import;
        var export = new Command("export", "Write what this node may give the city's own tools: misp (a MISP feed folder) or stix (a STIX 2.1 bundle).");
        export.Subcommands.Add(ExportMisp(ctx));
        export.Subcommands.Add(StixCommands.ExportStix(ctx));
        yield return export;
    }

    private static Command ImportMisp(CliContext ctx)
    {
        var path = new Argument<string>("PATH") { Description = "A MISP event file (JSON), or a folder whose *.json files are MISP events (a MISP feed folder works; its manifest.json is skipped)." };
        var tlpDefault = new Option<string?>("--tlp-default") { Description = "Label for events without a tlp:* tag: clear, green, amber, amber+strict or red. Without it such events are refused." };
        var to = new Option<string[]>("--to") { Description = "Recipient node ids (comma-separated or repeated) for every imported event; needed for sharing-group events and TLP:RED. Default all members.", Arity = ArgumentArity.ZeroOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check everything and list what would be published; publish nothing." };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Leave out (and list) attributes of an unsupported type or with an invalid value, instead of refusing their event." };
        var command = new Command("misp", "Publish MISP events as advisories: new events, and changed ones superseding their earlier record. Nothing is published unless every file reads and every event can be published.")
            { path, tlpDefault, to, dryRun, skipInvalid };
        command.SetAction(async (parse, ct) =>
        {
            Tlp? fallback = null;
            if (parse.GetValue(tlpDefault) is { } text)
            {
                fallback = TlpLabels.TryParse(text, out var parsed) ? parsed
                    : throw new CliException(ExitCodes.Usage, $"--tlp-default: '{text}' is not a TLP label (clear, green, amber, amber+strict, red).");
            }
            var recipients = new List<string>();
            foreach (var recipient in (parse.GetValue(to) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (!NodeId.TryParse(recipient, out var id))
                {
                    throw new CliException(ExitCodes.Usage, $"--to: '{recipient}' is not a node id (52 base32 characters, as `i4c members` shows).");
                }
                recipients.Add(id!.Text);
            }
            var options = new MispImportOptions(fallback, recipients.Count > 0, parse.GetValue(skipInvalid));

            // Read and map everything first; one bad file or event and nothing is published.
            var files = Files(parse.GetValue(path)!);
            var items = new List<MispImportItem>();
            var problems = new List<string>();
            foreach (var file in files)
            {
                try
                {
                    var bytes = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
                    foreach (var e in MispEventReader.Read(bytes, file))
                    {
                        items.Add(MispImportMapper.Map(e, options));
                    }
                }
                catch (Exception ex) when (ex is MispFormatException or MispImportException)
                {
                    problems.Add(ex.Message);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    problems.Add($"{file}: cannot read: {ex.Message}");
                }
            }
            if (problems.Count > 0)
            {
                foreach (var problem in problems.SkipLast(1))
                {
                    await ctx.Err.WriteLineAsync("i4c: " + problem).ConfigureAwait(false);
                }
                throw new CliException(ExitCodes.Usage, problems[^1] + (problems.Count > 1 ? $" — {problems.Count} problems in all;" : " —") + " nothing was imported.");
            }

            var request = new MispImportRequest { DryRun = parse.GetValue(dryRun) };
            foreach (var item in items.Where(i => !i.Skipped))
            {
                var e = new MispImportEvent { Source = item.Source, Advisory = item.Advisory, Tlp = item.Tlp };
                e.To.AddRange(recipients);
                request.Events.Add(e);
            }
            var outcomes = new List<MispImportOutcome>();
            if (request.Events.Count > 0)
            {
                using var node = NodeConnection.Open(ctx.DataFor(parse));
                var reply = await node.Client.ImportMispAsync(request, NodeConnection.Options(ct, TimeSpan.FromMinutes(10))).ConfigureAwait(false);
                outcomes.AddRange(reply.Outcomes);
            }
            Report(ctx, parse, items, outcomes, request.DryRun);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Report(CliContext ctx, ParseResult parse, List<MispImportItem> items, List<MispImportOutcome> outcomes, bool dryRun)
    {
        var queue = new Queue<MispImportOutcome>(outcomes);
        var rows = new List<(MispImportItem Item, MispImportOutcome? Outcome)>();
        foreach (var item in items)
        {
            rows.Add((item, item.Skipped ? null : queue.Dequeue()));
        }
        if (ctx.Json(parse))
        {
            var events = new JsonArray();
            foreach (var (item, outcome) in rows)
            {
                var notes = new JsonArray();
                foreach (var note in item.Notes)
                {
                    notes.Add(note);
                }
                events.Add(new JsonObject
                {
                    ["source"] = item.Source,
                    ["eventUuid"] = item.EventUuid,
                    ["action"] = outcome?.Action ?? "skipped",
                    ["reason"] = item.SkipReason,
                    ["tlp"] = outcome is null ? null : TlpLabels.Short(outcome.Tlp),
                    ["indicators"] = outcome?.Indicators,
                    ["id"] = outcome?.Id,
                    ["previousId"] = outcome?.PreviousId,
                    ["notes"] = notes,
                });
            }
            Output.Json(ctx.Out, new JsonObject { ["dryRun"] = dryRun, ["events"] = events });
            return;
        }
        Output.Table(ctx.Out, ["SOURCE", "EVENT", "ACTION", "TLP", "INDICATORS", "RECORD"], rows.Select(r => (IReadOnlyList<string>)[
            Path.GetFileName(r.Item.Source.Split(", event ")[0]) + (r.Item.Source.Contains(", event ", StringComparison.Ordinal) ? " #" + r.Item.Source.Split(", event ")[1] : string.Empty),
            r.Item.EventUuid,
            r.Outcome is null ? "skipped: " + r.Item.SkipReason : r.Outcome.Action + (dryRun && r.Outcome.Action is "new" or "superseding" ? " (dry run)" : string.Empty),
            r.Outcome is null ? "-" : TlpLabels.Display(r.Outcome.Tlp),
            r.Outcome?.Indicators.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
            r.Outcome is null ? "-" : r.Outcome.Id.Length > 0 ? r.Outcome.Id[..16] : r.Outcome.PreviousId.Length > 0 ? "(" + r.Outcome.PreviousId[..16] + ")" : "-",
        ]));
        foreach (var (item, _) in rows.Where(r => r.Item.Notes.Count > 0))
        {
            foreach (var note in item.Notes)
            {
                ctx.Out.WriteLine($"note: {item.EventUuid}: {note}");
            }
        }
    }

    /// <summary>The file itself, or a folder's *.json files in name order (a feed folder's manifest.json is not an event).</summary>
    private static List<string> Files(string path)
    {
        if (File.Exists(path))
        {
            return [Path.GetFullPath(path)];
        }
        if (!Directory.Exists(path))
        {
            throw new CliException(ExitCodes.Usage, $"{path} does not exist.");
        }
        var files = Directory.GetFiles(path, "*.json", SearchOption.TopDirectoryOnly)
            .Where(f => !string.Equals(Path.GetFileName(f), MispFeed.ManifestName, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return files.Count > 0 ? files : throw new CliException(ExitCodes.Usage, $"{path} holds no *.json file.");
    }

    private static Command ExportMisp(CliContext ctx)
    {
        var outDir = new Option<string>("--out") { Description = "The feed folder to write (created, or replaced if it holds an earlier feed).", Required = true };
        var maxTlp = new Option<string?>("--max-tlp") { Description = "Export only up to this label: clear, green, amber or amber+strict; never above the node's export ceiling (--export-max-tlp, default green)." };
        var command = new Command("misp", "Write a MISP feed folder (manifest.json, <uuid>.json per event, hashes.csv) of the advisories this node may give the city's own tools.") { outDir, maxTlp };
        command.SetAction(async (parse, ct) =>
        {
            var request = new MispExportRequest();
            if (parse.GetValue(maxTlp) is { } text)
            {
                if (!TlpLabels.TryParse(text, out var label))
                {
                    throw new CliException(ExitCodes.Usage, $"--max-tlp: '{text}' is not a TLP label (clear, green, amber, amber+strict).");
                }
                if (label == Tlp.Red)
                {
                    throw new CliException(ExitCodes.Usage, "--max-tlp: TLP:RED never leaves the node; give clear, green, amber or amber+strict.");
                }
                request.MaxTlp = label;
            }
            var target = Path.GetFullPath(parse.GetValue(outDir)!);
            CheckTarget(target);
            var staging = target + ".i4c-new";
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
            var events = 0;
            var ceiling = Tlp.Unspecified;
            using (var node = NodeConnection.Open(ctx.DataFor(parse)))
            {
                using var call = node.Client.ExportMisp(request, NodeConnection.Options(ct, TimeSpan.FromMinutes(10)));
                CreatePrivateDirectory(staging);
                try
                {
                    await foreach (var file in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
                    {
                        if (!IsFeedFileName(file.Name))
                        {
                            throw new CliException(ExitCodes.Internal, $"the node sent a feed file named '{file.Name}', which is not a MISP feed file name.");
                        }
                        await WritePrivateFileAsync(Path.Combine(staging, file.Name), file.Content.Memory, ct).ConfigureAwait(false);
                        events += file.Name.EndsWith(".json", StringComparison.Ordinal) && file.Name != MispFeed.ManifestName ? 1 : 0;
                        ceiling = file.Ceiling;
                    }
                    if (!File.Exists(Path.Combine(staging, MispFeed.ManifestName)))
                    {
                        throw new CliException(ExitCodes.Internal, "the node's feed ended without manifest.json; nothing was written.");
                    }
                }
                catch
                {
                    Directory.Delete(staging, recursive: true);
                    throw;
                }
            }
            Replace(target, staging);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["out"] = target, ["events"] = events, ["maxTlp"] = TlpLabels.Short(ceiling) });
            }
            else
            {
                ctx.Out.WriteLine($"Wrote {events} event(s) at or below {TlpLabels.Display(ceiling)} to {target}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool IsFeedFileName(string name) =>
        name is MispFeed.ManifestName or MispFeed.HashesName ||
        (name.EndsWith(".json", StringComparison.Ordinal) && MispUuid.Normalize(name[..^5]) == name[..^5]);

    /// <summary>The folder must be new, empty, or an earlier feed (so no stale event stays behind, and nothing else is deleted).</summary>
    private static void CheckTarget(string target)
    {
        if (File.Exists(target))
        {
            throw new CliException(ExitCodes.Usage, $"--out: {target} is a file; give a folder.");
        }
        if (Directory.Exists(target))
        {
            var foreign = Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).FirstOrDefault(n => n is null || !IsFeedFileName(n) || Directory.Exists(Path.Combine(target, n)));
            if (foreign is not null)
            {
                throw new CliException(ExitCodes.Usage, $"--out: {target} holds '{foreign}', which is not part of a MISP feed; give a new or empty folder, or an earlier feed folder.");
            }
        }
    }

    private static void Replace(string target, string staging)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        var old = target + ".i4c-old";
        if (Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }
        Directory.Move(target, old);
        Directory.Move(staging, target);
        Directory.Delete(old, recursive: true);
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Feed files are as sensitive as their labels: owner-only.</summary>
    private static async Task WritePrivateFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(content, ct).ConfigureAwait(false);
        }
    }
}
