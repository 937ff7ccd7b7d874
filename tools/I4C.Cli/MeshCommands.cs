using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using I4C.Protocol.V1;

namespace I4C.Cli;

/// <summary>Founding and watching a mesh: card export, charter create/sign/adopt, peers, members, sync.</summary>
public static class MeshCommands
{
    public const string CardFormat = "i4c-member-card/1";
    public const string CharterFormat = "i4c-charter/1";

    public static IEnumerable<Command> Build(CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        yield return Card(ctx);
        yield return Charter(ctx);
        yield return Peers(ctx);
        yield return Members(ctx);
        yield return Sync(ctx);
        yield return JoinRequestCommand(ctx);
        yield return Endorse(ctx);
        yield return Leave(ctx);
        yield return Revoke(ctx);
        yield return RotateKey(ctx);
    }

    public const string JoinFormat = "i4c-join-request/1";

    private static Command JoinRequestCommand(CliContext ctx)
    {
        var charter = new Option<FileInfo>("--charter") { Description = "The mesh's adopted charter file (from any member).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Write the join request here, for the members who will endorse it.", Required = true };
        var command = new Command("join-request", "Ask to join a mesh: sign its joint-defence agreement and write this node's card for the members.") { charter, output };
        command.SetAction(async (parse, ct) =>
        {
            var document = ReadCharter(parse.GetValue(charter)!);
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.CreateJoinRequestAsync(new CreateJoinRequestRequest { Charter = document }, NodeConnection.Options(ct)).ConfigureAwait(false);
            var path = parse.GetValue(output)!.FullName;
            WriteFile(path, new JsonObject
            {
                ["format"] = JoinFormat,
                ["nodeId"] = reply.NodeId,
                ["fingerprint"] = reply.Fingerprint,
                ["name"] = reply.Name,
                ["meshId"] = reply.MeshId,
                ["request"] = Convert.ToBase64String(reply.Request.ToByteArray()),
            });
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["file"] = path, ["nodeId"] = reply.NodeId, ["fingerprint"] = reply.Fingerprint, ["meshId"] = reply.MeshId });
            }
            else
            {
                ctx.Out.WriteLine($"Wrote the join request of {reply.Name} for mesh {reply.MeshId[..16]}… to {path}");
                ctx.Out.WriteLine($"Give it to the members; tell them your fingerprint {reply.Fingerprint} by phone so they can check it.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Endorse(CliContext ctx)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The applicant's join request file." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only check the request and show the applicant's fingerprint." };
        var command = new Command("endorse", "Vouch for an applicant (after checking its fingerprint out of band).") { file, dryRun };
        command.SetAction(async (parse, ct) =>
        {
            var obj = ReadJson(parse.GetValue(file)!, JoinFormat, "join request");
            JoinRequest request;
            try
            {
                request = JoinRequest.Parser.ParseFrom(Base64Field(obj, "request", parse.GetValue(file)!));
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new CliException(ExitCodes.Usage, $"{parse.GetValue(file)!.FullName}: the join request is damaged ({ex.Message}).");
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.EndorseAsync(new EndorseRequest { Request = request, DryRun = parse.GetValue(dryRun) }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject
                {
                    ["applicant"] = reply.Applicant,
                    ["name"] = reply.Name,
                    ["fingerprint"] = reply.Fingerprint,
                    ["id"] = reply.Id,
                    ["endorsements"] = reply.Endorsements,
                    ["threshold"] = reply.Threshold,
                    ["member"] = reply.Member,
                });
                return ExitCodes.Ok;
            }
            ctx.Out.WriteLine($"Applicant: {reply.Name} ({reply.Country})");
            ctx.Out.WriteLine($"Fingerprint: {reply.Fingerprint}   <- compare it with the one the applicant told you out of band");
            if (parse.GetValue(dryRun))
            {
                ctx.Out.WriteLine("Dry run: nothing published. Run again without --dry-run to endorse.");
                return ExitCodes.Ok;
            }
            ctx.Out.WriteLine($"Endorsed ({reply.Id[..16]}…): {reply.Endorsements} of {reply.Threshold} endorsements; " +
                (reply.Member ? "the applicant is now a member." : "more members must endorse."));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Leave(CliContext ctx)
    {
        var reason = new Option<string>("--reason") { Description = "Why (every member sees it).", DefaultValueFactory = _ => "leaving the mesh" };
        var command = new Command("leave", "End this node's own membership (also for a compromised key). Records published before stay valid.") { reason };
        command.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.RevokeAsync(new RevokeRequest { Reason = parse.GetValue(reason)! }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["id"] = reply.Id, ["subject"] = reply.Subject, ["revoked"] = reply.Revoked });
            }
            else
            {
                ctx.Out.WriteLine($"This node has left the mesh ({reply.Id[..16]}…). Members disconnect it as the record reaches them.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke(CliContext ctx)
    {
        var nodeId = new Argument<string>("NODE") { Description = "The member's node id." };
        var reason = new Option<string>("--reason") { Description = "Why (every member sees it).", Required = true };
        var command = new Command("revoke", "Vote to end another member's membership; it ends once the charter's revocation threshold of members agree.") { nodeId, reason };
        command.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.RevokeAsync(new RevokeRequest { NodeId = parse.GetValue(nodeId)!, Reason = parse.GetValue(reason)! }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["id"] = reply.Id, ["subject"] = reply.Subject, ["revocations"] = reply.Revocations, ["threshold"] = reply.Threshold, ["revoked"] = reply.Revoked });
            }
            else
            {
                ctx.Out.WriteLine($"Revocation published ({reply.Id[..16]}…): {reply.Revocations} of {reply.Threshold}; " +
                    (reply.Revoked ? "the member is revoked." : "more members must agree."));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RotateKey(CliContext ctx)
    {
        var command = new Command("rotate-key", "Make a new node identity signed by the old one; members move the membership to it. The node stops and must be started again.");
        command.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.RotateKeyAsync(new RotateKeyRequest(), NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["oldNodeId"] = reply.OldNodeId, ["newNodeId"] = reply.NewNodeId, ["newFingerprint"] = reply.NewFingerprint, ["id"] = reply.Id });
            }
            else
            {
                ctx.Out.WriteLine($"Rotated to {reply.NewNodeId} (fingerprint {reply.NewFingerprint}); the old keys are kept as *.rotated-* files.");
                ctx.Out.WriteLine("The node is stopping to switch keys: start it again (systemd restarts it).");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Card(CliContext ctx)
    {
        var output = new Option<FileInfo>("--out") { Description = "Write the card to this file.", Required = true };
        var export = new Command("export", "Write this node's signed member card to a file, to hand to the other founders.") { output };
        export.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.ExportCardAsync(new ExportCardRequest(), NodeConnection.Options(ct)).ConfigureAwait(false);
            var card = MemberCard.Parser.ParseFrom(reply.Card.Payload);
            var file = new JsonObject
            {
                ["format"] = CardFormat,
                ["nodeId"] = reply.NodeId,
                ["fingerprint"] = reply.Fingerprint,
                ["name"] = reply.Name,
                ["country"] = card.Country,
                ["endpoints"] = new JsonArray(card.MeshEndpoints.Select(e => (JsonNode)e).ToArray()),
                ["record"] = Convert.ToBase64String(reply.Card.ToByteArray()),
            };
            var path = parse.GetValue(output)!.FullName;
            WriteFile(path, file);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["file"] = path, ["nodeId"] = reply.NodeId, ["fingerprint"] = reply.Fingerprint });
            }
            else
            {
                ctx.Out.WriteLine($"Wrote the card of {reply.Name} to {path}");
                ctx.Out.WriteLine($"Fingerprint {reply.Fingerprint}: read it to the other founders out of band so they can check the file.");
            }
            return ExitCodes.Ok;
        });
        return new Command("card", "This node's member card.") { export };
    }

    private static Command Charter(CliContext ctx)
    {
        var title = new Option<string>("--title") { Description = "Title of the joint-defence agreement.", Required = true };
        var agreement = new Option<FileInfo>("--agreement") { Description = "The agreement document; its SHA-256 goes into the charter.", Required = true };
        var threshold = new Option<uint>("--threshold") { Description = "Endorsements by distinct members needed to admit a new member (k).", Required = true };
        var revocation = new Option<uint>("--revocation-threshold") { Description = "Members needed to revoke one (default: the same as --threshold)." };
        var founders = new Option<FileInfo[]>("--founder") { Description = "A founder's card file (from `i4c card export`); repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<FileInfo>("--out") { Description = "Write the draft here.", Required = true };
        var benchmarkK = new Option<uint>("--benchmark-k") { Description = "NIS2 maturity benchmark: the fewest other cities behind any figure shown (default 5; at least 3)." };
        var create = new Command("create", "Draft a charter naming the founders, signed by this node.") { title, agreement, threshold, revocation, founders, output, benchmarkK };
        create.SetAction(async (parse, ct) =>
        {
            var agreementFile = parse.GetValue(agreement)!;
            if (!agreementFile.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"--agreement: {agreementFile.FullName} does not exist.");
            }
            var request = new CreateCharterRequest
            {
                Title = parse.GetValue(title)!,
                AgreementSha256 = ByteString.CopyFrom(SHA256.HashData(File.ReadAllBytes(agreementFile.FullName))),
                AgreementName = agreementFile.Name,
                AdmissionThreshold = parse.GetValue(threshold),
                RevocationThreshold = parse.GetValue(revocation),
                BenchmarkMinContributors = parse.GetValue(benchmarkK),
            };
            foreach (var file in parse.GetValue(founders) ?? [])
            {
                request.FounderCards.Add(ReadCard(file));
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.CreateCharterAsync(request, NodeConnection.Options(ct)).ConfigureAwait(false);
            return Report(ctx, parse, reply, parse.GetValue(output)!.FullName, "Drafted");
        });

        var draftArg = new Argument<FileInfo>("DRAFT") { Description = "The charter draft file." };
        var sign = new Command("sign", "Add this node's signature to a charter draft (the file is updated in place).") { draftArg };
        sign.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(draftArg)!;
            var document = ReadCharter(path);
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.SignCharterAsync(new CharterDocumentRequest { Document = document }, NodeConnection.Options(ct)).ConfigureAwait(false);
            return Report(ctx, parse, reply, path.FullName, "Signed");
        });

        var charterArg = new Argument<FileInfo>("CHARTER") { Description = "The fully signed charter file." };
        var adopt = new Command("adopt", "Install a charter that every founder has signed: this node joins the mesh.") { charterArg };
        adopt.SetAction(async (parse, ct) =>
        {
            var document = ReadCharter(parse.GetValue(charterArg)!);
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.AdoptCharterAsync(new CharterDocumentRequest { Document = document }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, CharterJson(reply));
            }
            else
            {
                ctx.Out.WriteLine($"Adopted '{reply.Title}': this node is in mesh {reply.MeshId}.");
            }
            return ExitCodes.Ok;
        });
        return new Command("charter", "Found a mesh: draft, sign and adopt its charter.") { create, sign, adopt };
    }

    private static int Report(CliContext ctx, ParseResult parse, CharterReply reply, string path, string verb)
    {
        WriteFile(path, CharterJson(reply));
        if (ctx.Json(parse))
        {
            var json = CharterJson(reply);
            json["file"] = path;
            json.Remove("document");
            Output.Json(ctx.Out, json);
            return ExitCodes.Ok;
        }
        ctx.Out.WriteLine($"{verb} charter '{reply.Title}' (mesh {reply.MeshId[..16]}…), written to {path}");
        Output.Table(ctx.Out, ["FOUNDER", "COUNTRY", "FINGERPRINT", "SIGNED"],
            reply.Founders.Select(f => (IReadOnlyList<string>)[f.Name, f.Country, f.Fingerprint, f.Signed ? "yes" : "no"]));
        ctx.Out.WriteLine(reply.Complete
            ? $"Every founder has signed. Each founder now runs: i4c charter adopt {path}"
            : $"Pass the file to the founders who have not signed; each runs: i4c charter sign {path}");
        return ExitCodes.Ok;
    }

    private static JsonObject CharterJson(CharterReply reply)
    {
        var founders = new JsonArray();
        foreach (var f in reply.Founders)
        {
            founders.Add(new JsonObject { ["nodeId"] = f.NodeId, ["name"] = f.Name, ["country"] = f.Country, ["fingerprint"] = f.Fingerprint, ["signed"] = f.Signed });
        }
        return new JsonObject
        {
            ["format"] = CharterFormat,
            ["meshId"] = reply.MeshId,
            ["title"] = reply.Title,
            ["admissionThreshold"] = reply.AdmissionThreshold,
            ["revocationThreshold"] = reply.RevocationThreshold,
            ["complete"] = reply.Complete,
            ["founders"] = founders,
            ["document"] = Convert.ToBase64String(reply.Document.ToByteArray()),
        };
    }

    private static void WriteFile(string path, JsonObject json)
    {
        try
        {
            var temp = path + ".tmp";
            File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot write {path}: {ex.Message}");
        }
    }

    internal static JsonObject ReadJson(FileInfo file, string format, string what)
    {
        if (!file.Exists)
        {
            throw new CliException(ExitCodes.Usage, $"{file.FullName} does not exist.");
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(file.FullName));
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Usage, $"{file.FullName} is not a {what} file: {ex.Message}");
        }
        if (node is not JsonObject obj || obj["format"]?.GetValue<string>() != format)
        {
            throw new CliException(ExitCodes.Usage, $"{file.FullName} is not a {what} file (expected \"format\": \"{format}\").");
        }
        return obj;
    }

    internal static byte[] Base64Field(JsonObject obj, string field, FileInfo file)
    {
        try
        {
            return Convert.FromBase64String(obj[field]?.GetValue<string>() ?? throw new FormatException($"no \"{field}\""));
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            throw new CliException(ExitCodes.Usage, $"{file.FullName}: the \"{field}\" field is damaged ({ex.Message}).");
        }
    }

    public static SignedRecord ReadCard(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var obj = ReadJson(file, CardFormat, "member card");
        try
        {
            return SignedRecord.Parser.ParseFrom(Base64Field(obj, "record", file));
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new CliException(ExitCodes.Usage, $"{file.FullName}: the card record is damaged ({ex.Message}).");
        }
    }

    public static CharterDocument ReadCharter(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var obj = ReadJson(file, CharterFormat, "charter");
        try
        {
            return CharterDocument.Parser.ParseFrom(Base64Field(obj, "document", file));
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new CliException(ExitCodes.Usage, $"{file.FullName}: the charter document is damaged ({ex.Message}).");
        }
    }

    private static Command Peers(CliContext ctx)
    {
        var command = new Command("peers", "Members this node is linked with: state, RTT, last sync, score.");
        command.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.ListPeersAsync(new ListPeersRequest(), NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                var peers = new JsonArray();
                foreach (var p in reply.Peers)
                {
                    peers.Add(new JsonObject
                    {
                        ["nodeId"] = p.NodeId,
                        ["name"] = p.Name,
                        ["endpoint"] = p.Endpoint,
                        ["state"] = p.State,
                        ["direction"] = p.Direction,
                        ["rttMs"] = p.RttMs,
                        ["udp"] = p.UdpConnected,
                        ["lastSync"] = Output.Iso(p.LastSyncUnixMs),
                        ["score"] = p.Score,
                    });
                }
                Output.Json(ctx.Out, new JsonObject { ["peers"] = peers });
                return ExitCodes.Ok;
            }
            if (reply.Peers.Count == 0)
            {
                ctx.Out.WriteLine("No peers (is a charter adopted? `i4c members`).");
                return ExitCodes.Ok;
            }
            Output.Table(ctx.Out, ["PEER", "NAME", "STATE", "DIR", "ENDPOINT", "RTT", "LAST SYNC", "SCORE"], reply.Peers.Select(p => (IReadOnlyList<string>)[
                p.NodeId[..12],
                p.Name,
                p.State,
                p.Direction,
                p.Endpoint,
                p.RttMs < 0 ? "-" : $"{p.RttMs} ms",
                Output.Time(p.LastSyncUnixMs),
                p.Score.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Members(CliContext ctx)
    {
        var command = new Command("members", "The mesh's members as this node computes them, with fork proofs.");
        command.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.ListMembersAsync(new ListMembersRequest(), NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                var members = new JsonArray();
                foreach (var m in reply.Members)
                {
                    members.Add(new JsonObject
                    {
                        ["nodeId"] = m.NodeId,
                        ["name"] = m.Name,
                        ["country"] = m.Country,
                        ["category"] = m.Category,
                        ["participation"] = m.Participation,
                        ["fingerprint"] = m.Fingerprint,
                        ["status"] = m.Status,
                        ["reason"] = m.Reason,
                        ["founder"] = m.Founder,
                        ["endorsements"] = m.Endorsements,
                        ["forkProofs"] = m.ForkProofs,
                    });
                }
                var forks = new JsonArray();
                foreach (var f in reply.ForkProofs)
                {
                    forks.Add(new JsonObject { ["author"] = f.Author, ["seq"] = f.Seq, ["channel"] = f.Channel, ["first"] = f.FirstId, ["second"] = f.SecondId, ["detected"] = Output.Iso(f.DetectedUnixMs) });
                }
                Output.Json(ctx.Out, new JsonObject
                {
                    ["meshId"] = reply.MeshId,
                    ["title"] = reply.Title,
                    ["admissionThreshold"] = reply.AdmissionThreshold,
                    ["revocationThreshold"] = reply.RevocationThreshold,
                    ["members"] = members,
                    ["forkProofs"] = forks,
                });
                return ExitCodes.Ok;
            }
            if (reply.MeshId.Length == 0)
            {
                ctx.Out.WriteLine("This node has not adopted a charter yet: no mesh, no members.");
                return ExitCodes.Ok;
            }
            ctx.Out.WriteLine($"Mesh {reply.MeshId[..16]}… '{reply.Title}' (admission k={reply.AdmissionThreshold}, revocation {reply.RevocationThreshold})");
            ctx.Out.WriteLine();
            Output.Table(ctx.Out, ["NAME", "COUNTRY", "CATEGORY", "PARTICIPATION", "STATUS", "FINGERPRINT", "FLAGS"], reply.Members.Select(m => (IReadOnlyList<string>)[
                m.Name,
                m.Country,
                m.Category,
                m.Participation,
                m.Status == "member" ? "member" : $"{m.Status} ({m.Reason})",
                m.Fingerprint,
                string.Join(' ', new[] { m.Founder ? "founder" : null, m.ForkProofs > 0 ? $"FORKED×{m.ForkProofs}" : null }.Where(x => x is not null)),
            ]));
            if (reply.ForkProofs.Count > 0)
            {
                ctx.Out.WriteLine();
                ctx.Out.WriteLine("Fork proofs (an author signed two different records at one position):");
                Output.Table(ctx.Out, ["AUTHOR", "SEQ", "FIRST", "SECOND", "DETECTED"], reply.ForkProofs.Select(f => (IReadOnlyList<string>)[
                    f.Author[..12], f.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), f.FirstId[..16], f.SecondId[..16], Output.Time(f.DetectedUnixMs)]));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Sync(CliContext ctx)
    {
        var wait = new Option<bool>("--wait") { Description = "Keep syncing until this node holds every record its connected peers hold." };
        var timeout = new Option<string>("--timeout") { Description = "Give up after this long (default 60s).", DefaultValueFactory = _ => "60s" };
        var command = new Command("sync", "Compare this node's records with its connected peers'.") { wait, timeout };
        command.SetAction(async (parse, ct) =>
        {
            if (!Core.Records.Durations.TryParse(parse.GetValue(timeout), out var limit))
            {
                throw new CliException(ExitCodes.Usage, $"--timeout: '{parse.GetValue(timeout)}' is not a duration (e.g. 30s, 5m).");
            }
            var request = new SyncStatusRequest { WaitMs = parse.GetValue(wait) ? (long)limit.TotalMilliseconds : 0 };
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.SyncStatusAsync(request, NodeConnection.Options(ct, limit + TimeSpan.FromSeconds(10))).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["inSync"] = reply.InSync, ["connectedPeers"] = reply.ConnectedPeers, ["missing"] = reply.Missing });
            }
            else if (reply.InSync)
            {
                ctx.Out.WriteLine($"In sync with {reply.ConnectedPeers} connected peer(s).");
            }
            else if (reply.ConnectedPeers == 0)
            {
                ctx.Out.WriteLine("Not in sync: no peer is connected (check `i4c peers` and the seeds).");
            }
            else
            {
                ctx.Out.WriteLine($"Not in sync after {parse.GetValue(timeout)}: {reply.Missing} record(s) still missing from {reply.ConnectedPeers} peer(s).");
            }
            if (!reply.InSync && parse.GetValue(wait))
            {
                throw new CliException(ExitCodes.NotInSync, reply.ConnectedPeers == 0
                    ? "sync --wait timed out: no peer connected."
                    : $"sync --wait timed out with {reply.Missing} record(s) missing; check `i4c peers`.");
            }
            return reply.InSync ? ExitCodes.Ok : ExitCodes.NotInSync;
        });
        return command;
    }
}
