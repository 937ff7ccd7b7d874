
using I4C.Core.Crypto;
using I4C.Core.Identity;
using I4C.Protocol.V1;
using Xunit;

namespace I4C.Core.Tests;

[Trait("Category", "Unit")]
public sealed class GroupCryptoTests : IDisposable
{
    private readonly NodeIdentity _author = NodeIdentity.Create();
    private readonly NodeIdentity _reader = NodeIdentity.Create();
    private readonly NodeIdentity _outsider = NodeIdentity.Create();
    private readonly byte[] _mesh = new byte[32];
    private readonly byte[] _channel = Enumerable.Repeat((byte)7, 32).ToArray();

    private GroupReader ReaderOf(NodeIdentity identity) => new(identity.Id, identity.AgreementPublicKey);

    private byte[] Binding(ulong seq, Tlp tlp = Tlp.Amber) =>
        GroupCrypto.Binding(_mesh, _author.Id.PublicKey, _channel, seq, RecordKind.Advisory, tlp);

    [Fact]
    public void Open_ByEachReader_ReturnsThePlaintext()
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes("CANARY-group-crypto");
        var envelope = GroupCrypto.Seal(plaintext, Binding(5), [ReaderOf(_reader), ReaderOf(_author)]);

        Assert.Equal(plaintext, GroupCrypto.Open(envelope, Binding(5), _reader));
        Assert.Equal(plaintext, GroupCrypto.Open(envelope, Binding(5), _author));
    }

    [Fact]
    public void Seal_Envelope_DoesNotContainThePlaintext()
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes("CANARY-must-not-leak-0123456789");
        var envelope = GroupCrypto.Seal(plaintext, Binding(1), [ReaderOf(_reader)]);

        Assert.Equal(-1, envelope.AsSpan().IndexOf(plaintext));
    }

    [Fact]
    public void Open_ByANodeOutsideTheAudience_ReturnsNull()
    {
        var envelope = GroupCrypto.Seal("secret"u8, Binding(1), [ReaderOf(_reader)]);

        Assert.Null(GroupCrypto.Open(envelope, Binding(1), _outsider));
    }

    [Fact]
    public void Open_UnderAnotherRecordsBinding_ReturnsNull()
    {
        // An envelope (or one of its wrapped keys) moved to another record does not open.
        var envelope = GroupCrypto.Seal("secret"u8, Binding(1), [ReaderOf(_reader)]);

        Assert.Null(GroupCrypto.Open(envelope, Binding(2), _reader));
        Assert.Null(GroupCrypto.Open(envelope, Binding(1, Tlp.Green), _reader));
    }

    [Fact]
    public void Open_WrappedKeyMovedIntoAnotherEnvelope_ReturnsNull()
    {
        var first = GroupEnvelope.Parser.ParseFrom(GroupCrypto.Seal("one"u8, Binding(1), [ReaderOf(_reader)]));
        var second = GroupEnvelope.Parser.ParseFrom(GroupCrypto.Seal("two"u8, Binding(2), [ReaderOf(_outsider)]));
        second.Keys.Add(first.Keys[0]);

        Assert.Null(GroupCrypto.Open(Google.Protobuf.MessageExtensions.ToByteArray(second), Binding(2), _reader));
    }

    [Fact]
    public void Open_TamperedCiphertext_ReturnsNull()
    {
        var envelope = GroupEnvelope.Parser.ParseFrom(GroupCrypto.Seal("secret"u8, Binding(1), [ReaderOf(_reader)]));
        var bytes = envelope.Ciphertext.ToByteArray();
        bytes[0] ^= 1;
        envelope.Ciphertext = Google.Protobuf.ByteString.CopyFrom(bytes);

        Assert.Null(GroupCrypto.Open(Google.Protobuf.MessageExtensions.ToByteArray(envelope), Binding(1), _reader));
    }

    [Fact]
    public void Open_Garbage_ReturnsNull()
    {
        Assert.Null(GroupCrypto.Open([1, 2, 3, 4, 5], Binding(1), _reader));
    }

    public void Dispose()
    {
        _author.Dispose();
        _reader.Dispose();
        _outsider.Dispose();
    }
}
