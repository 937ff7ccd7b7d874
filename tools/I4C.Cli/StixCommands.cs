using System.CommandLine;
using System.Text.Json.Nodes;
using I4C.Core.Records;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Cli;

/// <summary><c>i4c export stix</c>: a STIX 2.1 bundle of what the TLP policy lets leave to the city's own tools.</summary>
public static class StixCommands
{
    /// <summary>The <c>stix</c> subcommand of <c>i4c export</c> (the verb is built by <see cref="InteropCommands"/>).</summary>
    public static Command ExportStix(CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var output = new Option<FileInfo>("--out") { Description = "The bundle file to write (replaced atomically; 0600 when it holds TLP:AMBER or AMBER+STRICT).", Required = true };
        var maxTlp = new Option<string?>("--max-tlp") { Description = "Highest label to include: clear, green, amber or amber+strict (default and upper bound: the node's --export-max-tlp)." };
        var command = new Command("stix", "Write a STIX 2.1 bundle: a report per advisory, incident or practice, its indicators, the authoring cities, TLP 2.0 markings.") { output, maxTlp };
        command.SetAction(async (parse, ct) =>
        {
            var requested = Tlp.Unspecified;
            if (parse.GetValue(maxTlp) is { } text)
            {
                if (!TlpLabels.TryParse(text, out requested))
                {
                    throw new CliException(ExitCodes.Usage, $"--max-tlp '{text}': use clear, green, amber or amber+strict.");
                }
                if (requested == Tlp.Red)
                {
                    throw new CliException(ExitCodes.Usage, "--max-tlp red: TLP:RED never leaves the node; use clear, green, amber or amber+strict.");
                }
            }
            var file = parse.GetValue(output)!;
            var directory = file.Directory ?? new DirectoryInfo(Environment.CurrentDirectory);
            if (!directory.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"--out {file.FullName}: the folder {directory.FullName} does not exist.");
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.ExportStixAsync(new ExportStixRequest { MaxTlp = requested }, NodeConnection.Options(ct, TimeSpan.FromMinutes(5))).ConfigureAwait(false);
            // TLP:AMBER and AMBER+STRICT are for the city's organisation: only the owner reads the file.
            var restricted = (int)reply.Highest >= (int)Tlp.Amber;
            var mode = restricted ? SecureFile.OwnerOnly : SecureFile.Readable;
            try
            {
                SecureFile.WriteAllText(file.FullName, reply.BundleJson, mode);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"cannot write {file.FullName}: {ex.Message}");
            }
            var highest = reply.Highest == Tlp.Unspecified ? "none" : TlpLabels.Display(reply.Highest);
            var skipped = reply.Unsupported.Sum(u => (long)u.Count);
            if (ctx.Json(parse))
            {
                var unsupported = new JsonObject();
                foreach (var u in reply.Unsupported)
                {
                    unsupported[u.Type] = u.Count;
                }
                Output.Json(ctx.Out, new JsonObject
                {
                    ["file"] = file.FullName,
                    ["ceiling"] = TlpLabels.Short(reply.Ceiling),
                    ["highest"] = reply.Highest == Tlp.Unspecified ? null : TlpLabels.Short(reply.Highest),
                    ["reports"] = reply.Reports,
                    ["indicators"] = reply.Indicators,
                    ["objects"] = reply.Objects,
                    ["unsupported"] = unsupported,
                    ["mode"] = restricted ? "0600" : "0644",
                });
                return ExitCodes.Ok;
            }
            ctx.Out.WriteLine($"Wrote {file.FullName}: {reply.Reports} reports, {reply.Indicators} indicators, {reply.Objects} objects; highest label {highest} (ceiling {TlpLabels.Display(reply.Ceiling)}){(restricted ? "; file mode 0600" : string.Empty)}.");
            if (skipped > 0)
            {
                ctx.Out.WriteLine($"Left out {skipped} indicators whose type has no STIX pattern: {string.Join(", ", reply.Unsupported.Select(u => $"{u.Type} ({u.Count})"))}.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
