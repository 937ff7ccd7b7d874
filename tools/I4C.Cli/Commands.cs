using System.CommandLine;
using System.Text.Json.Nodes;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Cli;

/// <summary>The foundation's commands: init, status, publish, feed, show, retract, verify.</summary>
public static class Commands
{
    public static IEnumerable<Command> Build(CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        yield return Init(ctx);
        yield return Status(ctx);
        yield return Publish(ctx);
        yield return Feed(ctx);
        yield return Show(ctx);
        yield return Retract(ctx);
        yield return Verify(ctx);
        yield return Receipts(ctx);
        yield return Audit(ctx);
    }

    private static Command Receipts(CliContext ctx)
    {
        var id = new Argument<string>("ID") { Description = "One of this node's records (id or unique prefix)." };
        var command = new Command("receipts", "Who has received and read one of this node's restricted records.") { id };
        command.SetAction(async (parse, ct) =>
        {
            RequireRecordId(parse.GetValue(id));
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.ReceiptsAsync(new ReceiptsRequest { Id = parse.GetValue(id)! }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                var recipients = new JsonArray();
                foreach (var r in reply.Recipients)
                {
                    recipients.Add(new JsonObject { ["nodeId"] = r.NodeId, ["name"] = r.Name, ["delivered"] = Output.Iso(r.DeliveredUnixMs), ["read"] = Output.Iso(r.ReadUnixMs) });
                }
                Output.Json(ctx.Out, new JsonObject { ["id"] = reply.Id, ["tlp"] = TlpLabels.Short(reply.Tlp), ["recipients"] = recipients });
                return ExitCodes.Ok;
            }
            if (reply.Recipients.Count == 0)
            {
                ctx.Out.WriteLine($"{reply.Id[..16]}… went to all members; receipts are for records with named recipients.");
                return ExitCodes.Ok;
            }
            Output.Table(ctx.Out, ["RECIPIENT", "NAME", "DELIVERED", "READ"], reply.Recipients.Select(r => (IReadOnlyList<string>)[
                r.NodeId[..12], r.Name, Output.Time(r.DeliveredUnixMs), Output.Time(r.ReadUnixMs)]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Audit(CliContext ctx)
    {
        var id = new Option<string?>("--id") { Description = "Only this record (id or unique prefix)." };
        var limit = new Option<int>("--limit") { Description = "At most this many entries, newest first (default 100).", DefaultValueFactory = _ => 100 };
        var command = new Command("audit", "Which peer received which non-CLEAR record, and when.") { id, limit };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(id) is { } one)
            {
                RequireRecordId(one);
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.AuditAsync(new AuditRequest { Id = parse.GetValue(id) ?? string.Empty, Limit = parse.GetValue(limit) }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                var entries = new JsonArray();
                foreach (var e in reply.Entries)
                {
                    entries.Add(new JsonObject { ["record"] = e.RecordId, ["peer"] = e.Peer, ["peerName"] = e.PeerName, ["tlp"] = TlpLabels.Short(e.Tlp), ["kind"] = RecordKinds.Name(e.Kind), ["sent"] = Output.Iso(e.SentUnixMs) });
                }
                Output.Json(ctx.Out, new JsonObject { ["entries"] = entries });
                return ExitCodes.Ok;
            }
            if (reply.Entries.Count == 0)
            {
                ctx.Out.WriteLine("No non-CLEAR record has been sent to a peer.");
                return ExitCodes.Ok;
            }
            Output.Table(ctx.Out, ["SENT", "RECORD", "KIND", "TLP", "PEER", "NAME"], reply.Entries.Select(e => (IReadOnlyList<string>)[
                Output.Time(e.SentUnixMs), e.RecordId[..16], RecordKinds.Name(e.Kind), TlpLabels.Display(e.Tlp), e.Peer[..12], e.PeerName]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Init(CliContext ctx)
    {
        var name = new Option<string>("--name") { Description = "The city's display name, e.g. \"City of Bonn\".", Required = true };
        var country = new Option<string>("--country") { Description = "ISO 3166-1 alpha-2 country code, e.g. DE.", Required = true };
        var category = new Option<string>("--category") { Description = "eu-city, non-eu-city or other.", Required = true };
        category.AcceptOnlyFromAmong("eu-city", "non-eu-city", "other");
        var listener = new Option<bool>("--listener") { Description = "Join as a listener: receive records, publish none." };
        var command = new Command("init", "Create this node's identity (keys, certificate, admin token) in the data directory.") { name, country, category, listener };
        command.SetAction(parse =>
        {
            var data = ctx.DataFor(parse);
            NodeProfile.TryParseCategory(parse.GetValue(category), out var cat);
            var countryCode = parse.GetValue(country)!.Trim();
            var profile = new NodeProfile(parse.GetValue(name)!.Trim(), countryCode.Length == 2 ? countryCode.ToUpperInvariant() : countryCode, cat,
                parse.GetValue(listener) ? Participation.Listener : Participation.Active);
            if (profile.Problem() is { } problem)
            {
                throw new CliException(ExitCodes.Usage, problem + ".");
            }
            if (data.HasIdentity)
            {
                throw new CliException(ExitCodes.DataDirectory, $"{data.Root} already holds a node identity; use another --data directory (an identity is never overwritten).");
            }
            using var identity = data.CreateIdentity(profile, TimeProvider.System);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject
                {
                    ["nodeId"] = identity.Id.Text,
                    ["fingerprint"] = identity.Id.Fingerprint,
                    ["name"] = profile.Name,
                    ["country"] = profile.Country,
                    ["category"] = NodeProfile.Format(profile.Category),
                    ["participation"] = NodeProfile.Format(profile.Participation),
                    ["dataDirectory"] = data.Root,
                });
            }
            else
            {
                Output.Pairs(ctx.Out, [
                    ("Node id", identity.Id.Text),
                    ("Fingerprint", identity.Id.Fingerprint),
                    ("Name", profile.Name),
                    ("Data directory", data.Root),
                ]);
                ctx.Out.WriteLine($"Start the node with: i4c-node --data {data.Root}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status(CliContext ctx)
    {
        var command = new Command("status", "Show this node's identity, endpoints, uptime, record counts and health; exit code 0 healthy, 10 degraded, 11 unhealthy.");
        command.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var s = await node.Client.GetStatusAsync(new StatusRequest(), NodeConnection.Options(ct)).ConfigureAwait(false);
            var health = await node.Client.GetHealthAsync(new HealthRequest(), NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                var counts = new JsonArray();
                foreach (var c in s.Counts)
                {
                    counts.Add(new JsonObject { ["kind"] = RecordKinds.Name(c.Kind), ["tlp"] = TlpLabels.Short(c.Tlp), ["count"] = c.Count });
                }
                Output.Json(ctx.Out, new JsonObject
                {
                    ["nodeId"] = s.NodeId,
                    ["fingerprint"] = s.Fingerprint,
                    ["name"] = s.Name,
                    ["country"] = s.Country,
                    ["category"] = s.Category,
                    ["participation"] = s.Participation,
                    ["meshId"] = s.MeshId,
                    ["startedAt"] = Output.Iso(s.StartedUnixMs),
                    ["uptimeSeconds"] = s.UptimeSeconds,
                    ["totalRecords"] = s.TotalRecords,
                    ["purgedRecords"] = s.PurgedRecords,
                    ["counts"] = counts,
                    ["adminEndpoint"] = node.Address,
                    ["meshEndpoint"] = s.MeshEndpoint,
                    ["udpPort"] = s.UdpPort,
                    ["version"] = s.Version,
                    ["schemaVersion"] = s.SchemaVersion,
                    ["health"] = OperationsCommands.ToJson(health),
                });
                return OperationsCommands.ExitCodeOf(health);
            }
            Output.Pairs(ctx.Out, [
                ("Node id", s.NodeId),
                ("Fingerprint", s.Fingerprint),
                ("Name", $"{s.Name} ({s.Country}, {s.Category}, {s.Participation})"),
                ("Mesh", s.MeshId.Length == 0 ? "none adopted yet" : s.MeshId),
                ("Uptime", TimeSpan.FromSeconds(s.UptimeSeconds).ToString(@"d\.hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture)),
                ("Admin", node.Address),
                ("Mesh endpoint", s.MeshEndpoint),
                ("UDP port", s.UdpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("Records", $"{s.TotalRecords} ({s.PurgedRecords} purged)"),
                ("Version", $"{s.Version}, schema v{s.SchemaVersion}"),
                ("Health", OperationsCommands.Describe(health)),
            ]);
            if (s.Counts.Count > 0)
            {
                ctx.Out.WriteLine();
                Output.Table(ctx.Out, ["KIND", "TLP", "RECORDS"],
                    s.Counts.Select(c => (IReadOnlyList<string>)[RecordKinds.Name(c.Kind), TlpLabels.Display(c.Tlp), c.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
            }
            return OperationsCommands.ExitCodeOf(health);
        });
        return command;
    }

    private static Command Publish(CliContext ctx)
    {
        var command = new Command("publish", "Sign and publish a record: advisory, incident or practice.");
        command.Subcommands.Add(PublishKind(ctx, RecordKind.Advisory));
        command.Subcommands.Add(PublishKind(ctx, RecordKind.Incident));
        command.Subcommands.Add(PublishKind(ctx, RecordKind.Practice));
        return command;
    }

    private static Command PublishKind(CliContext ctx, RecordKind kind)
    {
        var tlp = new Option<string>("--tlp") { Description = "clear, green, amber, amber+strict or red.", Required = true };
        tlp.AcceptOnlyFromAmong("clear", "green", "amber", "amber+strict", "red");
        var title = new Option<string>("--title") { Description = "One-line title.", Required = true };
        var body = new Option<string?>("--body") { Description = "The text." };
        var bodyFile = new Option<FileInfo?>("--body-file") { Description = "Read the text from this file." };
        var indicators = new Option<string[]>("--indicator") { Description = "TYPE:VALUE, e.g. ip-dst:203.0.113.7; repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var tags = new Option<string[]>("--tag") { Description = "A free tag; repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var expires = new Option<string?>("--expires") { Description = "Purge the payload everywhere after this long: 90m, 12h, 30d, 2w or ISO 8601 (P30D)." };
        var to = new Option<string[]>("--to") { Description = "Recipient node ids (comma-separated or repeated); default all members.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command(RecordKinds.Name(kind), $"Publish a{(kind == RecordKind.Incident ? "n" : string.Empty)} {RecordKinds.Name(kind)}.")
            { tlp, title, body, bodyFile, indicators, tags, expires, to };

        var impact = new Option<string?>("--impact") { Description = "Impact on services and people." };
        var rootCause = new Option<string?>("--root-cause") { Description = "Root cause, where known." };
        var resolution = new Option<string?>("--resolution") { Description = "How it was resolved." };
        var lessons = new Option<string?>("--lessons") { Description = "Lessons learned." };
        var stage = new Option<string?>("--stage") { Description = "NIS2 Art. 23 stage: early-warning, notification, intermediate or final." };
        stage.AcceptOnlyFromAmong("early-warning", "notification", "intermediate", "final");
        var practiceType = new Option<string?>("--type") { Description = "tip, good-practice, solution-experience or strategy (default good-practice)." };
        practiceType.AcceptOnlyFromAmong("tip", "good-practice", "solution-experience", "strategy");
        var domains = new Option<string[]>("--domain") { Description = "NIS2 maturity domain code this practice helps with (e.g. b-incident; see docs/maturity.md); repeatable.", Arity = ArgumentArity.ZeroOrMore };
        if (kind == RecordKind.Incident)
        {
            command.Options.Add(impact);
            command.Options.Add(rootCause);
            command.Options.Add(resolution);
            command.Options.Add(lessons);
            command.Options.Add(stage);
        }
        if (kind == RecordKind.Practice)
        {
            command.Options.Add(practiceType);
            command.Options.Add(domains);
        }

        command.SetAction(async (parse, ct) =>
        {
            var text = ReadBody(parse.GetValue(body), parse.GetValue(bodyFile));
            var parsedIndicators = new List<Indicator>();
            foreach (var value in parse.GetValue(indicators) ?? [])
            {
                try
                {
                    parsedIndicators.Add(Indicators.Parse(value));
                }
                catch (FormatException ex)
                {
                    throw new CliException(ExitCodes.Usage, $"--indicator: {ex.Message}");
                }
            }
            TlpLabels.TryParse(parse.GetValue(tlp), out var label);
            var request = new PublishRequest { Tlp = label };
            foreach (var recipient in (parse.GetValue(to) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (!NodeId.TryParse(recipient, out _))
                {
                    throw new CliException(ExitCodes.Usage, $"--to: '{recipient}' is not a node id (52 base32 characters, as `i4c status` shows).");
                }
                request.To.Add(recipient);
            }
            if (parse.GetValue(expires) is { } expiry)
            {
                if (!Durations.TryParse(expiry, out var duration))
                {
                    throw new CliException(ExitCodes.Usage, $"--expires: '{expiry}' is not a duration; write e.g. 90m, 12h, 30d, 2w or P30D.");
                }
                request.ExpiresUnixMs = DateTimeOffset.UtcNow.Add(duration).ToUnixTimeMilliseconds();
            }
            var titleText = parse.GetValue(title)!;
            var tagList = parse.GetValue(tags) ?? [];
            switch (kind)
            {
                case RecordKind.Advisory:
                    request.Advisory = new Advisory { Title = titleText, Body = text };
                    request.Advisory.Indicators.AddRange(parsedIndicators);
                    request.Advisory.Tags.AddRange(tagList);
                    break;
                case RecordKind.Incident:
                    request.Incident = new Incident
                    {
                        Title = titleText,
                        Body = text,
                        Impact = parse.GetValue(impact) ?? string.Empty,
                        RootCause = parse.GetValue(rootCause) ?? string.Empty,
                        Resolution = parse.GetValue(resolution) ?? string.Empty,
                        Lessons = parse.GetValue(lessons) ?? string.Empty,
                        Stage = parse.GetValue(stage) switch
                        {
                            "early-warning" => IncidentStage.EarlyWarning,
                            "notification" => IncidentStage.Notification,
                            "intermediate" => IncidentStage.Intermediate,
                            "final" => IncidentStage.Final,
                            _ => IncidentStage.Unspecified,
                        },
                    };
                    request.Incident.Indicators.AddRange(parsedIndicators);
                    request.Incident.Tags.AddRange(tagList);
                    break;
                default:
                    request.Practice = new Practice
                    {
                        Title = titleText,
                        Body = text,
                        Type = parse.GetValue(practiceType) switch
                        {
                            "tip" => PracticeType.Tip,
                            "solution-experience" => PracticeType.SolutionExperience,
                            "strategy" => PracticeType.Strategy,
                            _ => PracticeType.GoodPractice,
                        },
                    };
                    request.Practice.Domains.AddRange(MaturityCommands.DomainCodes(parse.GetValue(domains)));
                    request.Practice.Indicators.AddRange(parsedIndicators);
                    request.Practice.Tags.AddRange(tagList);
                    break;
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.PublishAsync(request, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["id"] = reply.Id, ["seq"] = reply.Seq, ["kind"] = RecordKinds.Name(kind), ["tlp"] = TlpLabels.Short(label) });
            }
            else
            {
                ctx.Out.WriteLine(reply.Id);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string ReadBody(string? body, FileInfo? file)
    {
        if (body is not null && file is not null)
        {
            throw new CliException(ExitCodes.Usage, "give either --body or --body-file, not both.");
        }
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"--body-file: {file.FullName} does not exist.");
            }
            try
            {
                return File.ReadAllText(file.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"--body-file: cannot read {file.FullName}: {ex.Message}");
            }
        }
        return body ?? throw new CliException(ExitCodes.Usage, "give the text with --body TEXT or --body-file FILE.");
    }

    private static Command Feed(CliContext ctx)
    {
        var kind = new Option<string?>("--kind") { Description = "Only this kind: advisory, incident, practice, retraction, …" };
        var tlp = new Option<string?>("--tlp") { Description = "Only this label: clear, green, amber, amber+strict, red." };
        var limit = new Option<int>("--limit") { Description = "At most this many (default 50, at most 1000).", DefaultValueFactory = _ => 50 };
        var command = new Command("feed", "List the newest records this node holds.") { kind, tlp, limit };
        command.SetAction(async (parse, ct) =>
        {
            var request = new FeedRequest { Limit = parse.GetValue(limit) };
            if (request.Limit is < 1 or > 1000)
            {
                throw new CliException(ExitCodes.Usage, "--limit: give a number from 1 to 1000.");
            }
            if (parse.GetValue(kind) is { } k)
            {
                request.Kind = RecordKinds.TryParse(k, out var parsed) ? parsed
                    : throw new CliException(ExitCodes.Usage, $"--kind: '{k}' is not a record kind (advisory, incident, practice, retraction, …).");
            }
            if (parse.GetValue(tlp) is { } t)
            {
                request.Tlp = TlpLabels.TryParse(t, out var parsed) ? parsed
                    : throw new CliException(ExitCodes.Usage, $"--tlp: '{t}' is not a TLP label (clear, green, amber, amber+strict, red).");
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.FeedAsync(request, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                var array = new JsonArray();
                foreach (var r in reply.Records)
                {
                    array.Add(SummaryJson(r));
                }
                Output.Json(ctx.Out, new JsonObject { ["records"] = array });
                return ExitCodes.Ok;
            }
            if (reply.Records.Count == 0)
            {
                ctx.Out.WriteLine("No records.");
                return ExitCodes.Ok;
            }
            Output.Table(ctx.Out, ["ID", "CREATED", "KIND", "TLP", "AUTHOR", "TITLE"], reply.Records.Select(r => (IReadOnlyList<string>)[
                r.Id[..16],
                Output.Time(r.CreatedUnixMs),
                RecordKinds.Name(r.Kind),
                TlpLabels.Display(r.Tlp),
                r.Author[..12],
                r.Purged ? "(purged)" : Output.Ellipsis(r.Title, 60),
            ]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(CliContext ctx)
    {
        var id = new Argument<string>("ID") { Description = "Record id, or a unique prefix of at least 8 hex digits." };
        var command = new Command("show", "Show one record with its content.") { id };
        command.SetAction(async (parse, ct) =>
        {
            RequireRecordId(parse.GetValue(id));
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var r = await node.Client.ShowAsync(new ShowRequest { Id = parse.GetValue(id)! }, NodeConnection.Options(ct)).ConfigureAwait(false);
            IMessage? content = r.ContentCase switch
            {
                ShowReply.ContentOneofCase.Advisory => r.Advisory,
                ShowReply.ContentOneofCase.Incident => r.Incident,
                ShowReply.ContentOneofCase.Practice => r.Practice,
                ShowReply.ContentOneofCase.Retraction => r.Retraction,
                ShowReply.ContentOneofCase.Receipt => r.Receipt,
                _ => null,
            };
            if (ctx.Json(parse))
            {
                var json = SummaryJson(r.Summary);
                json["prev"] = r.Prev;
                json["payloadHash"] = r.PayloadHash;
                json["payloadSize"] = r.PayloadSize;
                json["purgeReason"] = r.PurgeReason;
                json["purgedAt"] = Output.Iso(r.PurgedUnixMs);
                json["content"] = content is null ? null : JsonNode.Parse(JsonFormatter.Default.Format(content));
                var references = new JsonArray();
                foreach (var reference in r.References)
                {
                    references.Add(new JsonObject { ["type"] = reference.Type.ToString(), ["id"] = Convert.ToHexStringLower(reference.RecordId.Span) });
                }
                json["references"] = references;
                Output.Json(ctx.Out, json);
                return ExitCodes.Ok;
            }
            var s = r.Summary;
            var pairs = new List<(string, string)>
            {
                ("Id", s.Id),
                ("Kind", RecordKinds.Name(s.Kind)),
                ("TLP", TlpLabels.Display(s.Tlp)),
                ("Author", s.Author),
                ("Created", Output.Time(s.CreatedUnixMs)),
                ("Chain", $"seq {s.Seq} on channel {s.Channel[..16]}…"),
                ("Audience", s.Audience.Count == 0 ? "all members" : string.Join(", ", s.Audience)),
            };
            if (r.Encryption != EncryptionScheme.None)
            {
                pairs.Add(("Encryption", "end-to-end to the audience and the author (stored encrypted)"));
            }
            if (s.ExpiresUnixMs != 0)
            {
                pairs.Add(("Expires", Output.Time(s.ExpiresUnixMs)));
            }
            if (s.SupersededBy.Length > 0)
            {
                pairs.Add(("Superseded by", s.SupersededBy));
            }
            foreach (var reference in r.References)
            {
                pairs.Add((reference.Type.ToString(), Convert.ToHexStringLower(reference.RecordId.Span)));
            }
            Output.Pairs(ctx.Out, pairs);
            ctx.Out.WriteLine();
            if (s.Purged)
            {
                ctx.Out.WriteLine($"The payload was purged on {Output.Time(r.PurgedUnixMs)} ({r.PurgeReason}); the signed header remains so the chain still verifies.");
                return ExitCodes.Ok;
            }
            WriteContent(ctx.Out, content);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteContent(TextWriter w, IMessage? content)
    {
        void Section(string heading, string text)
        {
            if (!string.IsNullOrWhiteSpace(text))
            {
                w.WriteLine($"{heading}:");
                w.WriteLine("  " + text.Replace("\n", "\n  ", StringComparison.Ordinal));
            }
        }
        void IndicatorTable(IReadOnlyCollection<Indicator> indicators)
        {
            if (indicators.Count > 0)
            {
                w.WriteLine();
                Output.Table(w, ["TYPE", "VALUE", "IDS", "COMMENT"], indicators.Select(i => (IReadOnlyList<string>)[i.Type, i.Value, i.ToIds ? "yes" : "no", i.Comment]));
            }
        }
        switch (content)
        {
            case Advisory a:
                w.WriteLine(a.Title);
                w.WriteLine();
                w.WriteLine(a.Body);
                IndicatorTable(a.Indicators);
                break;
            case Incident i:
                w.WriteLine(i.Title);
                w.WriteLine();
                Section("What happened", i.Body);
                Section("Impact", i.Impact);
                Section("Root cause", i.RootCause);
                Section("Resolution", i.Resolution);
                Section("Lessons", i.Lessons);
                IndicatorTable(i.Indicators);
                break;
            case Practice p:
                w.WriteLine($"{p.Title}  [{p.Type}{(p.Domains.Count > 0 ? "; domains " + string.Join(", ", p.Domains) : string.Empty)}]");
                w.WriteLine();
                w.WriteLine(p.Body);
                IndicatorTable(p.Indicators);
                break;
            case Retraction r:
                w.WriteLine($"Retracts {Convert.ToHexStringLower(r.Target.Span)}: {r.Reason}");
                break;
            case Receipt r:
                w.WriteLine($"Receipt: {(r.Type == ReceiptType.Read ? "read" : "delivered")} {Convert.ToHexStringLower(r.Target.Span)} at {Output.Time(r.AtUnixMs)}");
                break;
            default:
                w.WriteLine("(no readable content)");
                break;
        }
    }

    private static Command Retract(CliContext ctx)
    {
        var id = new Argument<string>("ID") { Description = "The record to retract (one of this node's own)." };
        var reason = new Option<string>("--reason") { Description = "Why; recipients see it.", Required = true };
        var command = new Command("retract", "Retract one of this node's records: its payload is purged, its header stays.") { id, reason };
        command.SetAction(async (parse, ct) =>
        {
            RequireRecordId(parse.GetValue(id));
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.RetractAsync(new RetractRequest { Id = parse.GetValue(id)!, Reason = parse.GetValue(reason)! }, NodeConnection.Options(ct)).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject { ["id"] = reply.RetractionId, ["target"] = reply.TargetId });
            }
            else
            {
                ctx.Out.WriteLine($"Retracted {reply.TargetId}");
                ctx.Out.WriteLine($"Retraction record {reply.RetractionId}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify(CliContext ctx)
    {
        var command = new Command("verify", "Re-verify every stored signature, chain link and payload hash.");
        command.SetAction(async (parse, ct) =>
        {
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var reply = await node.Client.VerifyAsync(new VerifyRequest(), NodeConnection.Options(ct, TimeSpan.FromMinutes(30))).ConfigureAwait(false);
            if (ctx.Json(parse))
            {
                var failures = new JsonArray();
                foreach (var f in reply.Failures)
                {
                    failures.Add(new JsonObject { ["id"] = f.Id, ["reason"] = f.Reason, ["detail"] = f.Detail });
                }
                Output.Json(ctx.Out, new JsonObject { ["checked"] = reply.Checked, ["payloadsChecked"] = reply.PayloadsChecked, ["ok"] = reply.Failures.Count == 0, ["failures"] = failures });
            }
            else if (reply.Failures.Count == 0)
            {
                ctx.Out.WriteLine($"OK: {reply.Checked} headers and {reply.PayloadsChecked} payloads verified.");
            }
            else
            {
                ctx.Out.WriteLine($"FAILED: {reply.Failures.Count} of {reply.Checked} records do not verify:");
                Output.Table(ctx.Out, ["ID", "REASON", "DETAIL"], reply.Failures.Select(f => (IReadOnlyList<string>)[f.Id, f.Reason, f.Detail]));
            }
            return reply.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.VerifyFailed;
        });
        return command;
    }

    private static void RequireRecordId(string? text)
    {
        var t = text?.Trim() ?? string.Empty;
        if (t.Length < 8 || t.Length > 64 || !t.All(Uri.IsHexDigit))
        {
            throw new CliException(ExitCodes.Usage, $"'{text}' is not a record id: give the 64 hex digits `i4c feed` shows, or at least the first 8.");
        }
    }

    private static JsonObject SummaryJson(RecordSummary r)
    {
        var audience = new JsonArray();
        foreach (var a in r.Audience)
        {
            audience.Add(a);
        }
        return new JsonObject
        {
            ["id"] = r.Id,
            ["kind"] = RecordKinds.Name(r.Kind),
            ["tlp"] = TlpLabels.Short(r.Tlp),
            ["author"] = r.Author,
            ["title"] = r.Title,
            ["created"] = Output.Iso(r.CreatedUnixMs),
            ["seq"] = r.Seq,
            ["channel"] = r.Channel,
            ["audience"] = audience,
            ["purged"] = r.Purged,
            ["expires"] = Output.Iso(r.ExpiresUnixMs),
            ["supersededBy"] = r.SupersededBy,
        };
    }
}
