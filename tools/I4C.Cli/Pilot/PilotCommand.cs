using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace I4C.Cli.Pilot;

/// <summary><c>i4c pilot</c>: a joint-defence mesh of several cities on this machine, formed and exercised by one command.</summary>
internal static class PilotCommand
{
    public static Command Build(CliContext ctx)
    {
        var cities = new Option<int>("--cities")
        {
            Description = $"How many cities ({PilotCities.Minimum}–{PilotCities.Maximum}; default 6): founders, one listener, and a non-EU city admitted live.",
            DefaultValueFactory = _ => 6,
        };
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Where the cities' data, logs and the benchmark report go: a new or empty directory (default: a fresh temporary directory)." };
        var once = new Option<bool>("--once") { Description = "Exit after the scenario instead of keeping the mesh running until Ctrl+C." };
        var command = new Command("pilot", "Found a mesh of several cities on this machine (one i4c-node each, on 127.0.0.1) and run a scenario that exercises every part of it.")
            { cities, dir, once };
        command.SetAction(async (parse, ct) =>
        {
            var count = parse.GetValue(cities);
            if (count is < PilotCities.Minimum or > PilotCities.Maximum)
            {
                throw new CliException(ExitCodes.Usage, $"--cities {count}: give {PilotCities.Minimum} to {PilotCities.Maximum} (the scenario needs three publishing founders, a listener and an applicant).");
            }
            var root = PrepareDirectory(parse.GetValue(dir));
            var json = ctx.Json(parse);
            // With --json the summary is the only thing on standard output; progress goes to standard error.
            var progress = json ? ctx.Err : ctx.Out;
            await progress.WriteLineAsync($"I4C pilot: {count} cities in {root}").ConfigureAwait(false);

            await using var runner = new PilotRunner(new PilotSettings(count, root, parse.GetValue(once)), progress);
            void OnExit(object? sender, EventArgs e) => runner.KillAll();
            AppDomain.CurrentDomain.ProcessExit += OnExit;
            try
            {
                bool ok;
                try
                {
                    ok = await runner.RunAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    await progress.WriteLineAsync("Interrupted: stopping every node.").ConfigureAwait(false);
                    runner.KillAll();
                    return ExitCodes.Internal;
                }
                if (json)
                {
                    Output.Json(ctx.Out, Summary(runner, root, ok));
                }
                else
                {
                    PrintSummary(ctx.Out, runner, root);
                }
                if (ok && !parse.GetValue(once))
                {
                    await progress.WriteLineAsync(
                        $"The mesh keeps running. Try: i4c peers --data {runner.Nodes[0].DataPath}   (every city's data directory is under {Path.Combine(root, "nodes")}). Ctrl+C stops every node.")
                        .ConfigureAwait(false);
                    try
                    {
                        await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        await progress.WriteLineAsync("Stopping every node.").ConfigureAwait(false);
                    }
                }
                return ok ? ExitCodes.Ok : ExitCodes.PilotFailed;
            }
            finally
            {
                runner.KillAll();
                AppDomain.CurrentDomain.ProcessExit -= OnExit;
            }
        });
        return command;
    }

    private static string PrepareDirectory(DirectoryInfo? requested)
    {
        if (requested is null)
        {
            var fresh = Path.Combine(Path.GetTempPath(), "i4c-pilot-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6]);
            Directory.CreateDirectory(fresh);
            return fresh;
        }
        var path = requested.FullName;
        if (File.Exists(path))
        {
            throw new CliException(ExitCodes.Usage, $"--dir {path} is a file; give a new or empty directory.");
        }
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new CliException(ExitCodes.Usage, $"--dir {path} is not empty; give a new or empty directory (a pilot never reuses or overwrites data).");
        }
        Directory.CreateDirectory(path);
        return path;
    }

    private static void PrintSummary(TextWriter output, PilotRunner runner, string root)
    {
        output.WriteLine();
        Output.Table(output, ["STEP", "RESULT", "WHAT HAPPENED", "NODES", "TIME"], runner.Steps.Select(s => (IReadOnlyList<string>)[
            s.Name,
            s.Ok ? "ok" : s.Error is null ? "-" : "FAILED",
            s.Error ?? s.What,
            s.Nodes,
            s.Ok || s.Error is not null ? PilotRunner.Seconds(s.Took) : "-",
        ]));
        output.WriteLine();
        Output.Pairs(output, [
            ("Cities", string.Join(", ", runner.Nodes.Select(n => $"{n.City.Short} ({n.City.Country}{(n.City.Role == PilotRole.ListenerFounder ? ", listener" : n.City.Role == PilotRole.Applicant ? ", admitted live" : string.Empty)})"))),
            ("Data", Path.Combine(root, "nodes")),
            ("Node logs", runner.LogDirectory),
            ("Benchmark report", File.Exists(runner.ReportPath) ? runner.ReportPath : "(not written)"),
        ]);
    }

    private static JsonObject Summary(PilotRunner runner, string root, bool ok)
    {
        var steps = new JsonArray();
        foreach (var s in runner.Steps)
        {
            steps.Add(new JsonObject
            {
                ["name"] = s.Name,
                ["ok"] = s.Ok,
                ["what"] = s.What,
                ["nodes"] = s.Nodes,
                ["seconds"] = Math.Round(s.Took.TotalSeconds, 2),
                ["error"] = s.Error,
            });
        }
        var cities = new JsonArray();
        foreach (var n in runner.Nodes)
        {
            cities.Add(new JsonObject
            {
                ["name"] = n.City.Name,
                ["country"] = n.City.Country,
                ["category"] = n.City.Category,
                ["role"] = n.City.Role switch { PilotRole.ListenerFounder => "listener", PilotRole.Applicant => "applicant", _ => "founder" },
                ["nodeId"] = n.NodeId,
                ["dataDirectory"] = n.DataPath,
            });
        }
        return new JsonObject
        {
            ["ok"] = ok,
            ["directory"] = root,
            ["cities"] = cities,
            ["steps"] = steps,
            ["benchmarkReport"] = File.Exists(runner.ReportPath) ? runner.ReportPath : null,
            ["logs"] = runner.LogDirectory,
        };
    }
}
