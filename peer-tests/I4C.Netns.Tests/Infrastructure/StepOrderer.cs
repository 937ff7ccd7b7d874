using Xunit.Abstractions;
using Xunit.Sdk;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>The place of a test in the story a shared lab tells (lowest first).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>
/// Runs the tests of a class in their <see cref="StepAttribute"/> order, so a shared lab is first
/// seen converging from scratch and then disturbed. Each test still checks the state it needs
/// instead of trusting the order.
/// </summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "I4C.Netns.Tests.Infrastructure.StepOrderer";
    public const string AssemblyName = "I4C.Netns.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(c => c.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName).FirstOrDefault()?.GetNamedArgument<int>(nameof(StepAttribute.Order)) ?? int.MaxValue)
            .ThenBy(c => c.TestMethod.Method.Name, StringComparer.Ordinal);
}
