namespace I4C.Node.Tests.Infrastructure;

/// <summary>
/// Tests that start the node as an OS process run one after another: each cold start JITs a
/// whole ASP.NET host, and two at once on a 2-core machine only make each slower.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NodeProcessCollection
{
    public const string Name = "Node processes";
}
