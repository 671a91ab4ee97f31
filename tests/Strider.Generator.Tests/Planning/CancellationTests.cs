using Microsoft.CodeAnalysis;
using Strider.Generator.Model;
using Strider.Generator.Tests.Infrastructure;
using Strider.Shapes;

namespace Strider.Generator.Tests.Planning;

/// <summary>A cancelled token stops every step of the pipeline with OperationCanceledException, never an STR0099 diagnostic.</summary>
public sealed class CancellationTests
{
    private const string Source = """
        using Strider;
        namespace App;
        [Network, Input(1, 28, 28)]
        [Conv(6, 5), BatchNorm, Relu, MaxPool(2), Flatten, Dense(10)]
        public partial class Net;
        """;

    private static CancellationToken Cancelled()
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        return source.Token;
    }

    private static (INamedTypeSymbol Type, SyntaxTree Tree) Network()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var type = compilation.GetTypeByMetadataName("App.Net")!;
        return (type, compilation.SyntaxTrees.First());
    }

    [Fact]
    public void Each_step_runs_with_a_live_token()
    {
        var (type, tree) = Network();
        var parsed = NetworkPipeline.Parse(type, tree, CancellationToken.None);
        var planned = NetworkPipeline.Plan(parsed, CancellationToken.None);
        Assert.False(planned.HasErrors);
        var emitted = NetworkPipeline.Emit(planned.Value!, CancellationToken.None);
        Assert.Empty(emitted.Diagnostics);
        Assert.Contains("_bn1Fold.Refresh(d, ", emitted.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_throws()
    {
        var (type, tree) = Network();
        Assert.ThrowsAny<OperationCanceledException>(() => NetworkPipeline.Parse(type, tree, Cancelled()));
    }

    [Fact]
    public void Planning_throws_rather_than_reporting_STR0099()
    {
        var (type, tree) = Network();
        var parsed = NetworkPipeline.Parse(type, tree, CancellationToken.None);
        Assert.ThrowsAny<OperationCanceledException>(() => NetworkPipeline.Plan(parsed, Cancelled()));
        Assert.ThrowsAny<OperationCanceledException>(() => Strider.Generator.Planning.NetworkPlanner.Plan(parsed.Value!.Spec, Cancelled()));
    }

    [Fact]
    public void The_axis_analysis_throws()
    {
        var graph = new AxisGraph();
        graph.AddWindow(graph.AddWindow(0, WindowAxis.Valid(5, 2)), WindowAxis.Valid(3, 1));
        Assert.ThrowsAny<OperationCanceledException>(() => AxisAnalysis.Analyze(graph, Cancelled()));
        Assert.False(AxisAnalysis.Analyze(graph, CancellationToken.None).ValidInputs.IsEmpty);
    }

    [Fact]
    public void Emission_throws_rather_than_reporting_STR0099()
    {
        var (type, tree) = Network();
        var planned = NetworkPipeline.Plan(NetworkPipeline.Parse(type, tree, CancellationToken.None), CancellationToken.None);
        Assert.ThrowsAny<OperationCanceledException>(() => NetworkPipeline.Emit(planned.Value!, Cancelled()));
    }

    [Fact]
    public void The_generator_driver_throws()
    {
        var compilation = GeneratorHarness.Compile(Source);
        Assert.ThrowsAny<OperationCanceledException>(() => GeneratorHarness.CreateDriver().RunGenerators(compilation, Cancelled()));
    }
}
