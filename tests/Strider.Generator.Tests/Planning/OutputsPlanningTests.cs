using Microsoft.CodeAnalysis;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;
using Strider.Generator.Planning;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Planning;

/// <summary>
/// [Output] through the parser (NetworkSpec.Output), the planner (NetworkPlan.Outputs) and the pipeline's gate, which
/// refuses outputs other than the last layer until the emitter writes them.
/// </summary>
public sealed class OutputsPlanningTests
{
    private const string Usings = "using Strider;\nnamespace App;\n";

    private const string TwoHeads = Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(4, 3, Name = "trunk"), Relu]
        [Conv(2, 1, Name = "cls")]
        [Conv(4, 1, From = "relu1", Name = "box")]
        [Output("cls", "box")]
        public partial class Net;
        """;

    private static (string Source, Result<ParsedNetwork> Parsed) Parse(string source)
    {
        var compilation = GeneratorHarness.Compile(source);
        var type = compilation.GetTypeByMetadataName("App.Net")!;
        return (source, NetworkPipeline.Parse(type, compilation.SyntaxTrees.First(), CancellationToken.None));
    }

    private static Result<NetworkPlan> PlanOnly(string source)
    {
        var spec = Parse(source).Parsed.Value!.Spec;
        return NetworkPlanner.Plan(spec, CancellationToken.None);
    }

    private static string Text(string source, SourceSpan span) => source.Substring(span.Start, span.Length);

    [Fact]
    public void The_parser_keeps_the_names_in_order_with_the_span_of_each()
    {
        var (source, parsed) = Parse(TwoHeads);
        var output = parsed.Value!.Spec.Output!;
        Assert.Equal(["cls", "box"], output.Names);
        Assert.Equal("\"cls\"", Text(source, output.SpanOf("0")));
        Assert.Equal("\"box\"", Text(source, output.SpanOf("1")));
        Assert.Equal("Output(\"cls\", \"box\")", Text(source, output.SpanOf("")));
    }

    [Fact]
    public void Without_Output_the_spec_has_none_and_the_plan_outputs_the_last_node()
    {
        string source = Usings + "[Network, Input(1, 8, 8), Conv(2, 3), Relu]\npublic partial class Net;\n";
        Assert.Null(Parse(source).Parsed.Value!.Spec.Output);
        var plan = PlanOnly(source).Value!;
        Assert.Equal([plan.Nodes.Count - 1], plan.Outputs);
        Assert.Equal(2, plan.Outputs[0]);
    }

    [Fact]
    public void The_planner_gives_the_output_nodes_in_Output_order()
    {
        var planned = PlanOnly(TwoHeads.Replace("[Output(\"cls\", \"box\")]", "[Output(\"box\", \"cls\")]"));
        Assert.DoesNotContain(planned.Diagnostics, d => DiagnosticDescriptors.IsError(d.Id));
        var plan = planned.Value!;
        Assert.Equal(["input", "trunk", "relu1", "cls", "box"], plan.Nodes.Select(n => n.Name));
        Assert.Equal([4, 3], plan.Outputs);
    }

    [Fact]
    public void Naming_the_last_layer_alone_is_todays_network_and_passes_the_gate()
    {
        string source = Usings + "[Network, Input(1, 8, 8), Conv(2, 3), Relu(Name = \"out\"), Output(\"out\")]\npublic partial class Net;\n";
        var planned = NetworkPipeline.Plan(Parse(source).Parsed, CancellationToken.None);
        Assert.Empty(planned.Diagnostics);
        Assert.Equal([2], planned.Value!.Plan!.Outputs);
    }

    [Fact]
    public void The_summary_marks_the_outputs_Output_names_and_only_with_Output()
    {
        var marked = PlanOnly(TwoHeads).Value!.SummaryLines;
        Assert.Equal(
        [
            "Layer         Kind        Output  Params  Field  Stride",
            "-------------------------------------------------------",
            "input         Input       3x8x8        0  1x1    1x1",
            "trunk         Conv 4 3x3  4x6x6      112  3x3    1x1",
            "relu1         Relu        4x6x6        0  3x3    1x1",
            "cls (output)  Conv 2 1x1  2x6x6       10  3x3    1x1",
            "box (output)  Conv 4 1x1  4x6x6       20  3x3    1x1",
            "Total parameters: 142",
        ], marked);
        var unmarked = PlanOnly(TwoHeads.Replace("[Output(\"cls\", \"box\")]", "")).Value!.SummaryLines;
        Assert.DoesNotContain(unmarked, l => l.Contains("(output)", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_outputs_are_planned_and_generated_with_no_diagnostic()
    {
        var (_, parsed) = Parse(TwoHeads);
        var planned = NetworkPipeline.Plan(parsed, CancellationToken.None);
        Assert.Empty(planned.Diagnostics);
        Assert.NotNull(planned.Value!.Plan);
    }

    [Fact]
    public void An_earlier_layer_as_the_only_output_is_generated_and_the_layer_after_it_warned()
    {
        string source = Usings + "[Network, Input(1, 8, 8), Conv(2, 3, Name = \"c\"), Relu, Output(\"c\")]\npublic partial class Net;\n";
        var planned = NetworkPipeline.Plan(Parse(source).Parsed, CancellationToken.None);
        Assert.Equal(["STR0023"], planned.Diagnostics.Select(d => d.Id));
        Assert.NotNull(planned.Value!.Plan);
    }

    [Fact]
    public void Forward_returns_the_outputs_record_and_Backward_takes_one_nullable_gradient_per_output()
    {
        const string use = """
            public static class Use
            {
                public static Tensor<S3x8x8> Run(Net net, Tensor<S3x8x8> x)
                {
                    NetOutputs result = net.Forward(x);
                    Tensor<S2x6x6> cls = result.Cls;
                    Tensor<S4x6x6> box = result.Box;
                    net.BackwardParameters(cls, null);
                    return net.Backward(null, box);
                }
            }
            """;
        var (_, generator, compiler, _) = GeneratorHarness.Build(TwoHeads + use);
        Assert.Empty(generator);
        Assert.Empty(compiler.Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void A_single_Output_before_the_last_layer_types_Forward_and_Backward_with_that_layer()
    {
        const string use = """
            public static class Use
            {
                public static INetwork<S1x8x8, S2x6x6> Run(Net net, Tensor<S1x8x8> x) { Tensor<S1x8x8> g = net.Backward(net.Forward(x)); return net; }
            }
            """;
        var (_, generator, compiler, analyzer) = GeneratorHarness.Build(Usings + "[Network, Input(1, 8, 8), Conv(2, 3, Name = \"c\"), Conv(5, 3), Output(\"c\")]\npublic partial class Net;\n" + use);
        Assert.Empty(generator);
        Assert.Equal(["STR0023"], analyzer.Select(d => d.Id));
        Assert.Empty(compiler.Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Dense_true_with_an_Output_other_than_the_last_layer_is_STR0014_on_Dense()
    {
        string source = Usings + "[Network(Dense = true), Input(1, Dim.Any, Dim.Any), Conv(2, 3, Name = \"c\"), Conv(4, 1, From = \"c\", Name = \"d\"), Conv(3, 1, From = \"c\", Name = \"e\"), Output(\"d\", \"e\")]\npublic partial class Net;\n";
        var (text, parsed) = Parse(source);
        var planned = NetworkPipeline.Plan(parsed, CancellationToken.None);
        var error = Assert.Single(planned.Diagnostics, d => d.Id == "STR0014");
        Assert.Equal("Dense = true", Text(text, error.Span));
    }

    [Fact]
    public void A_broken_network_with_two_outputs_keeps_the_outputs_record_so_uses_compile_with_only_the_STR_error()
    {
        const string use = """
            public static class Use
            {
                public static void Run(Net net, Tensor<S3x8x8> x)
                {
                    NetOutputs result = net.Forward(x);
                    net.Backward(result.Cls, null);
                    net.BackwardParameters(null, result.Box);
                }
            }
            """;
        // Conv(2, 9) on 6x6 is a size error: the class is the invalid network's, with the valid one's members.
        var (_, generator, compiler, _) = GeneratorHarness.Build(TwoHeads.Replace("Conv(2, 1, Name = \"cls\")", "Conv(2, 9, Name = \"cls\")") + use);
        Assert.StartsWith("STR", Assert.Single(generator).Id, StringComparison.Ordinal);
        var errors = compiler.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).Distinct().ToList();
        Assert.True(errors.All(id => id.StartsWith("STR", StringComparison.Ordinal)), string.Join(", ", errors));
    }
}
