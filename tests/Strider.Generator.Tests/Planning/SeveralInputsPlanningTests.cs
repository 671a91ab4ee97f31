using Microsoft.CodeAnalysis;
using Strider.Generator.Diagnostics;
using Strider.Generator.Layers;
using Strider.Generator.Model;
using Strider.Generator.Planning;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Planning;

/// <summary>
/// Several [Input] attributes (issue #13, step 2 of docs/handoff-multiio.md): the planner makes one input node per
/// [Input], so merges and From name inputs and their sizes are checked, and the emitter writes Forward(image, extra).
/// </summary>
public class SeveralInputsPlanningTests
{
    private const string Usings = "using Strider;\nnamespace App;\n";

    /// <summary>The generator's and analyzer's diagnostics as (id, the source text they point at, message); the compiler must accept the rest.</summary>
    private static List<(string Id, string At, string Message)> Diagnose(string attributes)
    {
        var (_, generator, compiler, analyzer) = GeneratorHarness.Build(Usings + attributes + "\npublic partial class Net;\n");
        Assert.DoesNotContain(generator.Concat(analyzer), d => d.Id is "CS8785" or "STR0099" or "AD0001");
        var errors = compiler.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("STR", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "Compiler errors:\n" + string.Join("\n", errors));
        return generator.Select(d => (d.Id, d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan), d.GetMessage())).ToList();
    }

    [Fact]
    public void Two_inputs_merged_by_name_plan_and_generate_with_no_diagnostic()
    {
        Assert.Empty(Diagnose("""[Network, Input(2, 4, 4, Name = "image"), Input(2, 4, 4, Name = "extra"), Add("image", "extra"), Conv(3, 3)]"""));
    }

    [Fact]
    public void Two_inputs_give_Forward_one_typed_parameter_each_and_Backward_the_gradients_record()
    {
        const string use = """
            public static class Use
            {
                public static Tensor<S3x2x2> Run(Net net, Tensor<S2x4x4> image, Tensor<S1x4x4> extra)
                {
                    var output = net.Forward(image, extra);
                    NetInputGradients gradients = net.Backward(output);
                    Tensor<S2x4x4> a = gradients.Image;
                    Tensor<S1x4x4> b = gradients.Extra;
                    return output;
                }
            }
            """;
        var (_, generator, compiler, _) = GeneratorHarness.Build(Usings + """
            [Network, Input(2, 4, 4, Name = "image"), Input(1, 4, 4, Name = "extra"), Conv(2, 1, From = "extra", Name = "lift"), Add("image", "lift"), Conv(3, 3)]
            public partial class Net;
            """ + use);
        Assert.Empty(generator);
        Assert.Empty(compiler.Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void A_broken_network_with_two_inputs_keeps_Forward_of_two_tensors_so_uses_compile_with_only_the_STR_error()
    {
        const string use = """
            public static class Use
            {
                public static void Run(Net net, Tensor<S2x4x4> image, Tensor<S1x4x4> extra)
                {
                    var output = net.Forward(image, extra);
                    NetInputGradients gradients = net.Backward(output);
                    Tensor<S1x4x4> b = gradients.Extra;
                }
            }
            """;
        // Conv(3, 5) on 4x4 is a size error: the class is the invalid network's, with the valid one's members.
        var (_, generator, compiler, _) = GeneratorHarness.Build(Usings + """
            [Network, Input(2, 4, 4, Name = "image"), Input(1, 4, 4, Name = "extra"), Conv(2, 1, From = "extra", Name = "lift"), Add("image", "lift"), Conv(3, 5)]
            public partial class Net;
            """ + use);
        Assert.StartsWith("STR", Assert.Single(generator).Id, StringComparison.Ordinal);
        var errors = compiler.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).Distinct().ToList();
        Assert.True(errors.All(id => id.StartsWith("STR", StringComparison.Ordinal)), string.Join(", ", errors));
    }

    [Fact]
    public void Concat_of_two_inputs_and_From_an_input_plan()
    {
        Assert.Empty(Diagnose("""[Network, Input(2, 4, 4, Name = "image"), Input(1, 4, 4, Name = "extra"), Conv(2, 1, From = "extra", Name = "lift"), Concat("image", "lift")]"""));
    }

    [Fact]
    public void The_first_layer_must_say_which_input_it_reads()
    {
        var d = Diagnose("""[Network, Input(2, 4, 4, Name = "image"), Input(2, 4, 4, Name = "extra"), Conv(3, 3)]""");
        var error = Assert.Single(d);
        Assert.Equal("STR0008", error.Id);
        Assert.Equal("Conv(3, 3)", error.At);
        Assert.Contains("From = \"image\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_inputs_with_one_name_is_an_error_on_the_second_name()
    {
        var error = Assert.Single(Diagnose("""[Network, Input(2, 4, 4, Name = "x"), Input(2, 4, 4, Name = "x"), Add("x", "x")]"""));
        Assert.Equal("STR0014", error.Id);
        Assert.Equal("Name = \"x\"", error.At);
        Assert.Contains("two inputs are named 'x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_free_size_on_a_second_input_is_an_error_on_that_size()
    {
        var error = Assert.Single(Diagnose("""[Network, Input(2, Dim.Any, 4, Name = "image"), Input(2, Dim.Any, 4, Name = "extra"), Add("image", "extra")]"""));
        Assert.Equal("STR0014", error.Id);
        Assert.Equal("Dim.Any", error.At);
        Assert.Contains("'extra' has a free size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inputs_of_different_rank_are_an_error_naming_both()
    {
        var error = Assert.Single(Diagnose("""[Network, Input(2, 4, 4, Name = "image"), Input(8, Name = "extra"), Conv(3, 3, From = "image")]"""));
        Assert.Equal("STR0014", error.Id);
        Assert.Equal("Input(8, Name = \"extra\")", error.At);
        Assert.Contains("'extra' has 1 dimension(s) but 'image' has 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_inputs_of_different_channels_is_the_merge_error()
    {
        var errors = Diagnose("""[Network, Input(2, 4, 4, Name = "image"), Input(3, 4, 4, Name = "extra"), Add("image", "extra")]""");
        var error = Assert.Single(errors);
        Assert.Equal("STR0003", error.Id);
        Assert.Equal("Add(\"image\", \"extra\")", error.At);
        Assert.Contains("'image' has 2, 'extra' has 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_inputs_of_different_sizes_is_an_error_not_a_plan()
    {
        var errors = Diagnose("""[Network, Input(2, 4, 4, Name = "image"), Input(2, 6, 6, Name = "extra"), Add("image", "extra")]""");
        // One per axis, on the first input's size (the extra input's sizes are fixed, so only the first can move).
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal(("STR0002", "4"), (e.Id, e.At)));
        Assert.All(errors, e => Assert.Contains("the merge 'add1' gets 4 from 'image' and 6 from 'extra'", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_layer_named_like_an_extra_input_names_that_input_and_layer_numbers_count_layers_only()
    {
        var errors = Diagnose("""[Network, Input(2, 4, 4, Name = "image"), Input(2, 4, 4, Name = "extra"), Add("image", "extra", Name = "sum"), Relu(Name = "extra"), Relu(Name = "sum")]""");
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal("STR0015", e.Id));
        Assert.Contains("the input 'extra'", errors[0].Message, StringComparison.Ordinal);
        // 'sum' is the first layer: node 2, but layer 1 in the user's words.
        Assert.Contains("layer 1 (Add)", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dense_true_with_several_inputs_is_an_error_on_Dense()
    {
        var error = Assert.Single(Diagnose("""[Network(Dense = true), Input(2, 4, 4, Name = "image"), Input(2, 4, 4, Name = "extra"), Add("image", "extra"), Conv(3, 3)]"""));
        Assert.Equal("STR0014", error.Id);
        Assert.Equal("Dense = true", error.At);
        Assert.Contains("several inputs", error.Message, StringComparison.Ordinal);
    }

    private static InputSpec Input(string name, params int[] dims) => new(new EquatableArray<int>(dims), name, EquatableArray<ArgSpan>.Empty);

    [Fact]
    public void The_plan_has_one_input_node_per_Input_in_declaration_order_and_the_merge_reads_both()
    {
        var add = new LayerSpec(LayerRegistry.ByAttribute("Strider.AddAttribute")!, 0, null, null, 0, EquatableArray<int>.Empty, 0, EquatableArray<int>.Empty,
            1, EquatableArray<int>.Empty, 0, 0, EquatableArray<int>.Empty, true, 0, null, false, false, null, 0,
            EquatableArray<int>.Empty, new EquatableArray<string>(new[] { "image", "extra" }), 0, 1.0, 1e-5, 0.1, 0, 0, EquatableArray<ArgSpan>.Empty);
        var spec = new NetworkSpec("Tests", "Net", "public", "Tests.Net", EquatableArray<ContainingType>.Empty,
            Input("image", 2, Dim(), 4), new EquatableArray<LayerSpec>(new[] { add }), SourceSpan.None)
        { ExtraInputs = new EquatableArray<InputSpec>(new[] { Input("extra", 2, 6, 4) }) };

        var planned = NetworkPlanner.Plan(spec, CancellationToken.None);

        Assert.DoesNotContain(planned.Diagnostics, d => DiagnosticDescriptors.IsError(d.Id));
        var plan = planned.Value!;
        Assert.Equal(2, plan.InputCount);
        Assert.Equal(new[] { "image", "extra", "add1" }, plan.Nodes.Select(n => n.Name));
        Assert.Equal(new[] { LayerKind.Input, LayerKind.Input }, plan.Nodes.Take(2).Select(n => n.Kind));
        Assert.Equal(new[] { 0, 1 }, plan.Nodes[2].Inputs);
        // The free H of 'image' is pinned by the merge with the fixed 6 of 'extra': every shape is fixed 2x6x4.
        Assert.All(plan.Nodes, n => Assert.Equal("2x6x4", string.Join("x", n.Shape.Select(d => d.ToText()))));

        // The summary lists both inputs as sources and the merge with both names; a second input sees one value (field 1x1).
        Assert.Equal("image  Input             2x6x4        0  1x1    1x1", plan.SummaryLines[2]);
        Assert.Equal("extra  Input             2x6x4        0  1x1    1x1", plan.SummaryLines[3]);
        Assert.Equal("add1   Add image, extra  2x6x4        0  1x1    1x1", plan.SummaryLines[4]);
        // Like the first input, an extra input is the caller's tensor: no forward buffer; each input gets a gradient buffer.
        var exec = ExecutionPlanner.Plan(plan);
        Assert.DoesNotContain(exec.Buffers, b => b.Role == BufferRole.Out && b.Node < 2);
        Assert.Equal(new[] { 0, 1 }, exec.Buffers.Where(b => b.Role == BufferRole.Grad && b.Node < 2).Select(b => b.Node).OrderBy(i => i));
    }

    private static int Dim() => -1;
}
