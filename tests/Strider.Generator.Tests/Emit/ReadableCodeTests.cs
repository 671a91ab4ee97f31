using Strider.Generator.Emit;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Emit;

/// <summary>Generated code a reviewer can read: members named after layers, named geometry, folded sizes, small diffs.</summary>
public class ReadableCodeTests
{
    private static string Generate(string source, string className)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
        GeneratorHarness.AssertClean(output);
        return run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples." + className)).SourceText.ToString();
    }

    private static string LeNet(string afterFirstConv, string afterLastConv = "") => $$"""
        using Strider;

        namespace Samples;

        [Network]
        [Input(1, 28, 28)]
        [Conv(20, 5){{afterFirstConv}}, MaxPool(2)]
        [Conv(50, 5), MaxPool(2)]
        [Conv(500, 4), Relu]
        [Conv(10, 1){{afterLastConv}}, Softmax]
        public partial class LeNet;
        """;

    [Theory]
    [InlineData("conv1", "conv1")]
    [InlineData("Conv1", "conv1")]
    [InlineData("block2_conv", "block2Conv")]
    [InlineData("_x__y_", "xY")]
    [InlineData("_3x3", "layer3x3")]
    [InlineData("_", "layer")]
    [InlineData("ÉtapeUn", "étapeUn")]
    [InlineData("layer1.0.conv1", "layer1_0_conv1")]
    [InlineData("features.3.conv.0.1", "features_3_conv_0_1")]
    [InlineData("Block.Down_sample.0", "block_downSample_0")]
    [InlineData("a._.b", "a_b")]
    [InlineData("0", "layer0")]
    [InlineData("0.1", "layer0_1")]
    public void A_layer_name_becomes_a_camel_case_identifier(string layer, string expected) =>
        Assert.Equal(expected, MemberNames.CamelCase(layer));

    [Theory]
    [InlineData(28, 0, "28")]
    [InlineData(0, 1, "n1")]
    [InlineData(0, 4, "4 * n1")]
    [InlineData(1, 1, "(1 + n1)")]
    [InlineData(29, 8, "(29 + 8 * n1)")]
    [InlineData(-27, 1, "(n1 - 27)")]
    [InlineData(-3, 2, "(2 * n1 - 3)")]
    public void A_size_is_written_without_ones_or_zeros(long u, long v, string expected) =>
        Assert.Equal(expected, new Strider.Generator.Model.SizeExpr(u, v, v == 0 ? -1 : 1).ToCode());

    [Fact]
    public void Names_equal_ignoring_case_get_numbered_in_declaration_order()
    {
        var names = MemberNames.Derive(["conv1", "Conv1", "conv_1", "relu", "conv1_2"]);
        Assert.Equal(["conv1", "conv1_2", "conv1_3", "relu", "conv12"], names);
    }

    [Fact]
    public void Numbering_never_takes_another_layers_derived_name()
    {
        // conv1.2 derives conv1_2 and keeps it, though it comes last: the second conv1 skips to conv1_3.
        var names = MemberNames.Derive(["conv1", "Conv1", "layer1.0", "Layer1.0", "conv1.2"]);
        Assert.Equal(["conv1", "conv1_3", "layer1_0", "layer1_0_2", "conv1_2"], names);
    }

    [Fact]
    public void Dotted_layer_names_give_members_from_their_segments_and_keep_the_dots_in_parameter_and_onnx_names()
    {
        const string source = """
            using Strider;
            namespace Samples;
            [Network, Input(3, 8, 8)]
            [Conv(4, 3, Pad = 1, Name = "features.0"), BatchNorm(Name = "features.1"), Relu(Name = "features.2")]
            [Conv(4, 3, Pad = 1, Name = "layer1.0.conv1"), Add("layer1.0.conv1", "features.2", Name = "layer1.0.add")]
            public partial class Dotted;
            """;
        string code = Generate(source, "Dotted");
        Assert.Contains("private static readonly global::Strider.Devices.ConvGeometry Features_0Geometry = new(", code);
        Assert.Contains("d.ConvForward(Layer1_0_conv1Geometry, n, features_2Out, _layer1_0_conv1Weight.Value, _layer1_0_conv1Bias.Value, layer1_0_conv1Out);", code);
        Assert.Contains("\"features.1.running_var\"", code);
        Assert.Contains("\"layer1.0.conv1.weight\"", code);
        Assert.Contains("// layer1.0.add: ", code);
    }

    [Fact]
    public void Layers_whose_names_collide_as_members_still_give_code_that_compiles_clean()
    {
        const string source = """
            using Strider;
            namespace Samples;
            [Network, Input(1, 8, 8, Name = "conv_1")]
            [Conv(2, 3, Name = "conv1"), Relu(Name = "Conv1"), Conv(2, 3, Name = "CONV_1")]
            public partial class Clash;
            """;
        string code = Generate(source, "Clash");
        Assert.Contains("private global::Strider.Devices.DeviceBuffer<float>? _conv1Grad;", code);
        Assert.Contains("private global::Strider.Devices.DeviceBuffer<float>? _conv1_2Out;", code);
        // The Relu is applied by the conv before it as it stores its output, into the Relu's own buffer.
        Assert.Contains("conv1_3Out, new global::Strider.Devices.ConvEpilogue(null, global::Strider.Devices.Activation.Relu, 0f, 0f));", code);
        Assert.Contains("d.ActivationBackward(global::Strider.Devices.Activation.Relu, n * 72L, conv1_3Out, conv1_3Out, ", code);
        Assert.Contains("private static readonly global::Strider.Devices.ConvGeometry CONV1_4Geometry = new(", code);
    }

    [Fact]
    public void LeNet_reads_by_layer_with_named_geometry_and_folded_sizes()
    {
        string code = Generate(Networks.LeNet, "LeNet");
        Assert.Contains("private static readonly global::Strider.Devices.ConvGeometry Conv1Geometry = new(InChannels: 1, InH: 28, InW: 28, OutChannels: 20, OutH: 24, OutW: 24,", code);
        Assert.Contains("d.ConvForward(Conv1Geometry, n, inputOut, _conv1Weight.Value, _conv1Bias.Value, conv1Out);", code);
        Assert.Contains("d.MaxPoolBackward(Maxpool1Geometry, n, _maxpool1Grad!, _maxpool1Switches!, _conv1Grad!, false);", code);
        Assert.Contains("d.SoftmaxForward(false, n, 10, 1, conv4Out, softmax1Out);", code);
        Assert.Contains("d.ConvForward(Conv3Geometry, n, maxpool2Out, _conv3Weight.Value, _conv3Bias.Value, relu1Out, new global::Strider.Devices.ConvEpilogue(null, global::Strider.Devices.Activation.Relu, 0f, 0f));", code);
        Assert.Contains("// applied by conv3's ConvForward above as it stores its output, written there", code);
        // One geometry per layer, never rebuilt at a call site.
        Assert.DoesNotContain("new global::Strider.Devices.ConvGeometry(", code);
        Assert.DoesNotContain("new global::Strider.Devices.PoolGeometry(", code);
        Assert.DoesNotContain("(long)", code);
        Assert.DoesNotContain("_parameters[", code);
    }

    [Fact]
    public void Free_size_geometry_is_one_named_method_of_the_free_sizes_and_sizes_fold_their_constants()
    {
        string code = Generate(Networks.Ddae("Dim.Any"), "Ddae");
        Assert.Contains("private static global::Strider.Devices.ConvGeometry Conv1Geometry(int n1, int n2) => new(InChannels: 1, InH: (61 + 16 * n1), InW: (61 + 16 * n2), OutChannels: 32, OutH: (29 + 8 * n1), OutW: (29 + 8 * n2),", code);
        Assert.Contains("d.ConvForward(Conv1Geometry(n1, n2), n, noisyOut, _conv1Weight.Value, _conv1Bias.Value, conv1Out);", code);
        Assert.Contains("n * 32L * (29 + 8 * n1) * (29 + 8 * n2)", code);
        Assert.Contains("OutH: (1 + n1)", code);
        Assert.DoesNotContain("(long)n * (long)", code);
        Assert.DoesNotContain("(long)32", code);
        Assert.DoesNotContain(" 1 * n1", code);
    }

    /// <summary>
    /// Inserting a layer changes only lines that mention it: its own members and ops, and its reader's references to
    /// its input, now to it. The diagram is left out: boxes below the new one move down (the layout, not the code).
    /// </summary>
    [Fact]
    public void Inserting_an_activation_changes_only_lines_that_mention_it()
    {
        string before = Generate(LeNet(""), "LeNet");
        string after = Generate(LeNet(", Tanh(Name = \"squash\")"), "LeNet");
        var (removed, added) = AssertInsertionDiff(before, after, "squash", "conv1");
        Assert.DoesNotContain(added, l => !l.Contains("squash", StringComparison.OrdinalIgnoreCase));
        // (Its inference-pass local names its slot, so it is left out with the slots.)
        Assert.Equal(18, added.Count);
        // Summary, and maxpool1's Forward, Backward and ONNX lines reading conv1, now squash.
        Assert.Equal(4, removed.Count);
    }

    /// <summary>
    /// With weights too, other layers keep their parameter fields (no index into the parameter array shifts). Inserted
    /// after the last Conv: the planner numbers unnamed layers per kind counting named ones, so an earlier Conv would
    /// rename the later unnamed ones (their PyTorch names too), which no emitter naming can avoid.
    /// </summary>
    [Fact]
    public void Inserting_a_conv_with_weights_leaves_every_other_layers_members_and_parameters_alone()
    {
        string before = Generate(LeNet(""), "LeNet");
        string after = Generate(LeNet("", ", Conv(10, 1, Name = \"refine\")"), "LeNet");
        var (removed, added) = AssertInsertionDiff(before, after, "refine", "conv4");
        // Besides the layer table (documentation), only the parameter count changes without naming the layer.
        // (A geometry's second line, its window, follows the line that names it.)
        var others = added.Where(l => !l.Contains("refine", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("/// ", StringComparison.Ordinal) && !l.StartsWith("KernelH: ", StringComparison.Ordinal));
        Assert.Equal(["public const long ParameterCount = 431190;"], others);
        Assert.Equal(6, removed.Count);
        Assert.Equal(28, added.Count);
    }

    /// <summary>
    /// The diff of inserting <paramref name="layer"/> after <paramref name="previous"/>: every removed code line is a
    /// line that read <paramref name="previous"/>'s output and now reads the new layer's (found among the added lines),
    /// or a constant that counts layers or parameters.
    /// </summary>
    private static (List<string> Removed, List<string> Added) AssertInsertionDiff(string before, string after, string layer, string previous)
    {
        var (removed, added) = LineDiff.Changed(WithoutDiagram(before), WithoutDiagram(after));
        // Left out: the inference slots are assigned by liveness over the whole network, so a new layer can move others
        // between slots (their lines name the slot, not the layer), and Memory's sums list every buffer.
        static bool Planned(string line) => line.Contains("_inferenceSlot", StringComparison.Ordinal) || MemorySum.IsMatch(line);
        removed.RemoveAll(Planned);
        added.RemoveAll(Planned);
        foreach (var line in removed)
        {
            if (line.StartsWith("/// ", StringComparison.Ordinal) || line.StartsWith("public const ", StringComparison.Ordinal)) continue;
            string rewired = line.Replace(previous + "Out", layer + "Out").Replace("_" + previous + "Grad", "_" + layer + "Grad");
            Assert.True(added.Contains(rewired), $"a removed line is not a reference rewired to {layer}: {line}");
        }
        return (removed, added);
    }

    private static readonly System.Text.RegularExpressions.Regex MemorySum = new(@"^[A-Za-z]+Bytes: ");

    private static string[] WithoutDiagram(string code)
    {
        var lines = code.Split('\n').Select(l => l.TrimEnd('\r').Trim()).ToList();
        int start = lines.FindIndex(l => l.StartsWith("public const string Diagram = ", StringComparison.Ordinal));
        int end = lines.FindIndex(l => l.StartsWith("public static void SaveDiagram(", StringComparison.Ordinal));
        Assert.True(start >= 0 && end > start, "no diagram block in the generated code");
        lines.RemoveRange(start, end - start + 1);
        return lines.ToArray();
    }

    /// <summary>A line diff by longest common subsequence: the lines only in the first, and only in the second.</summary>
    private static class LineDiff
    {
        public static (List<string> Removed, List<string> Added) Changed(string[] a, string[] b)
        {
            var common = new int[a.Length + 1, b.Length + 1];
            for (int i = a.Length - 1; i >= 0; i--)
                for (int j = b.Length - 1; j >= 0; j--)
                    common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            var removed = new List<string>();
            var added = new List<string>();
            int x = 0, y = 0;
            while (x < a.Length && y < b.Length)
            {
                if (a[x] == b[y]) { x++; y++; }
                else if (common[x + 1, y] >= common[x, y + 1]) removed.Add(a[x++]);
                else added.Add(b[y++]);
            }
            removed.AddRange(a.Skip(x));
            added.AddRange(b.Skip(y));
            return (removed, added);
        }
    }
}
