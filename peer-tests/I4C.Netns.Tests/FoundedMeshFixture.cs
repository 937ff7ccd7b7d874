using I4C.Netns.Tests.Infrastructure;

namespace I4C.Netns.Tests;

/// <summary>
/// One founded four-host mesh shared by the tests of <see cref="MdnsMeshTests"/>: building the
/// namespaces, starting four cold nodes and founding the mesh is most of the run time on a
/// 2-core machine. Every test leaves the LAN as it found it (all links up), and waits for the
/// state it needs rather than assuming the order the tests run in.
/// </summary>
public sealed class FoundedMeshFixture : IAsyncLifetime
{
    public const int Hosts = 4;

    private MeshLab? _lab;

    public MeshLab Lab => _lab ?? throw new InvalidOperationException("the lab is not set up");

    public async Task InitializeAsync() => _lab = await MeshLab.StartAsync(Hosts);

    public Task DisposeAsync()
    {
        _lab?.Dispose();
        return Task.CompletedTask;
    }
}
