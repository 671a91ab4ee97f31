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
    public void Two_outputs_are_planned_then_refused_by_the_gate_on_the_Output_attribute()
    {
        var (source, parsed) = Parse(TwoHeads);
        var planned = NetworkPipeline.Plan(parsed, CancellationToken.None);
        var error = Assert.Single(planned.Diagnostics);
        Assert.Equal("STR0014", error.Id);
        Assert.Equal("Output(\"cls\", \"box\")", Text(source, error.Span));
        Assert.Contains("not generated yet", DiagnosticDescriptors.Message(error), StringComparison.Ordinal);
        Assert.Null(planned.Value!.Plan);
    }

    [Fact]
    public void An_earlier_layer_as_the_only_output_is_refused_by_the_gate_too()
    {
        string source = Usings + "[Network, Input(1, 8, 8), Conv(2, 3, Name = \"c\"), Relu, Output(\"c\")]\npublic partial class Net;\n";
        var planned = NetworkPipeline.Plan(Parse(source).Parsed, CancellationToken.None);
        Assert.Equal(["STR0023", "STR0014"], planned.Diagnostics.Select(d => d.Id));
        Assert.Null(planned.Value!.Plan);
    }

    [Fact]
    public void The_gated_network_still_gets_a_class_so_only_the_STR_error_is_reported()
    {
        var (_, generator, compiler, _) = GeneratorHarness.Build(TwoHeads);
        Assert.Equal("STR0014", Assert.Single(generator).Id);
        Assert.Empty(compiler.Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}
