using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Tests.Support;

/// <summary>Builders for payloads, drafts and hand-made headers.</summary>
internal static class TestRecords
{
    public static byte[] AdvisoryPayload(string title, string body = "body") =>
        new Advisory { Title = title, Body = body }.ToByteArray();

    public static byte[] RetractionPayload(RecordId target, string reason) =>
        new Retraction { Target = ByteString.CopyFrom(target.Span), Reason = reason }.ToByteArray();

    public static RecordDraft AdvisoryDraft(string title = "advisory", Tlp tlp = Tlp.Green, string body = "body") =>
        new() { Kind = RecordKind.Advisory, Tlp = tlp, Payload = AdvisoryPayload(title, body) };

    public static RecordDraft RetractionDraft(RecordId target, string reason) => new()
    {
        Kind = RecordKind.Retraction,
        Tlp = Tlp.Green,
        Payload = RetractionPayload(target, reason),
        References = [new Reference { Type = ReferenceType.Retracts, RecordId = ByteString.CopyFrom(target.Span) }],
    };

    /// <summary>A header that passes every validator check as it is: seq 1 on the mesh channel, TLP:GREEN, an advisory.</summary>
    public static RecordHeader ValidHeader(NodeIdentity author, byte[] payload, DateTimeOffset created) => new()
    {
        Version = RecordValidator.HeaderVersion,
        Author = ByteString.CopyFrom(author.Id.PublicKey),
        Channel = ByteString.CopyFrom(Channels.Mesh),
        Seq = 1,
        CreatedUnixMs = created.ToUnixTimeMilliseconds(),
        Tlp = Tlp.Green,
        Kind = RecordKind.Advisory,
        PayloadHash = ByteString.CopyFrom(SHA256.HashData(payload)),
        PayloadSize = (ulong)payload.Length,
    };

    /// <summary>Serializes the header once and signs "I4C-RECORD-V1\0" + those bytes with <paramref name="signer"/>.</summary>
    public static (byte[] Header, byte[] Signature) Sign(NodeIdentity signer, RecordHeader header)
    {
        var bytes = header.ToByteArray();
        return (bytes, signer.Sign(RecordSignature.SignedBytes(bytes)));
    }

    /// <summary>Validates a record that the test expects to be valid, failing with the rejection otherwise.</summary>
    public static ValidatedRecord MustValidate(this RecordValidator validator, SignedRecord wire)
    {
        var result = validator.Validate(wire);
        Assert.True(result.IsValid, $"expected a valid record, got {result.Rejection}");
        return result.Record!;
    }

    /// <summary>Node keys sorted ascending, as an audience must be.</summary>
    public static List<byte[]> SortedKeys(params NodeIdentity[] nodes) => Channels.CanonicalAudience(nodes.Select(n => n.Id));
}
