using Strider.Generator.Layers;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Layers;

/// <summary>
/// The cost of a new layer kind, measured on the LeakyRelu change (issue 12's test of the layer registry): the source
/// files it touched are listed here as its commit (a4e8d21, "LeakyRelu: a new activation through the layer registry")
/// shows them with <c>git show --stat</c>, and every source file that names LeakyRelu must be one of them. A layer kind
/// that needed a switch arm or a table entry elsewhere would name it there, and this list would have to grow. Besides
/// these, the commit gave the tests' reference device its formula (ReferenceDevice, IlgpuTrainingOpsTests).
/// </summary>
public class NewLayerCostTests
{
    /// <summary>The generator side: one registry line.</summary>
    private static readonly string[] GeneratorFiles = { "src/Generator/Layers/LayerRegistry.cs" };

    /// <summary>The runtime side: the attribute, the operation struct (new), its Accept line, its enum member, its ONNX builder call.</summary>
    private static readonly string[] RuntimeFiles =
    {
        "src/Runtime/Attributes/Layers.cs",
        "src/Runtime/Devices/Activations/LeakyRelu.cs",
        "src/Runtime/Devices/Activations/IActivation.cs",
        "src/Runtime/Devices/Geometry.cs",
        "src/Runtime/Onnx/OnnxGraphBuilder.Layers.cs",
    };

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Generators.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Generators.sln above {AppContext.BaseDirectory}: the test runs from the repository's build output.");
    }

    private static IEnumerable<string> SourcesNaming(string root, string folder, string word) =>
        Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar))
            .Where(f => File.ReadAllText(f).Contains(word, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .OrderBy(f => f, StringComparer.Ordinal);

    [Fact]
    public void A_new_activation_is_one_registry_line_in_the_generator()
    {
        string root = RepositoryRoot();
        Assert.Equal(GeneratorFiles, SourcesNaming(root, "src/Generator", "LeakyRelu"));
        var lines = File.ReadAllLines(Path.Combine(root, GeneratorFiles[0])).Where(l => l.Contains("LeakyRelu", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
    }

    [Fact]
    public void A_new_activation_touches_five_runtime_files_one_of_them_new()
    {
        string root = RepositoryRoot();
        Assert.Equal(RuntimeFiles.OrderBy(f => f, StringComparer.Ordinal), SourcesNaming(root, "src/Runtime", "LeakyRelu"));
        Assert.True(RuntimeFiles.Length <= 5, "A new activation should need its attribute, its op struct and three one-line entries at most.");
    }

    [Fact]
    public void LeakyRelu_passes_its_slope_to_the_device_and_to_ONNX_with_PyTorchs_default()
    {
        const string source = """
            using Strider;

            namespace Samples;

            [Network, Input(2, 6, 6)]
            [Conv(3, 3), LeakyRelu, LeakyRelu(0.25f, Name = "quarter")]
            public partial class Leaky;
            """;
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
        GeneratorHarness.AssertClean(output);
        string code = run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.Leaky", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("d.ActivationForward(global::Strider.Devices.Activation.LeakyRelu, n * 48L, conv1Out, leakyrelu1Out, 0.01f, 0f);", code);
        Assert.Contains("d.ActivationBackward(global::Strider.Devices.Activation.LeakyRelu, n * 48L, leakyrelu1Out, quarterOut, quarterGrad, _leakyrelu1Grad!, false, 0.25f, 0f);", code);
        Assert.Contains("var quarterOut = b.LeakyRelu(leakyrelu1Out, \"quarter\", 0.25f);", code);
        Assert.Equal("leakyrelu", LayerRegistry.ByAttribute("Strider.LeakyReluAttribute")!.AutoNamePrefix);
    }

    [Fact]
    public void Every_rule_has_its_own_attribute_name_and_auto_name_prefix()
    {
        Assert.Equal(LayerRegistry.All.Count, LayerRegistry.All.Select(r => r.AttributeName).Distinct().Count());
        Assert.Equal(LayerRegistry.All.Count, LayerRegistry.All.Select(r => r.AutoNamePrefix).Distinct().Count());
        Assert.All(LayerRegistry.All, r => Assert.Same(r, LayerRegistry.ByAttribute(r.AttributeName)));
    }

    [Fact]
    public void Activation_rules_and_the_runtimes_activations_match_one_to_one()
    {
        // The generated code names Strider.Devices.Activation.{rule name} (or its variant's): a rule without its runtime member would not compile.
        var rules = LayerRegistry.All.OfType<ActivationRule>().SelectMany(r => r.Members).OrderBy(n => n, StringComparer.Ordinal);
        var runtime = Enum.GetNames<Strider.Devices.Activation>().OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(runtime, rules);
    }
}
