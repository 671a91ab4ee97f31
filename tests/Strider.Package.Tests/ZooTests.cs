using System.Text.RegularExpressions;

namespace Strider.Package.Tests;

/// <summary>
/// samples/Zoo, every source file read from the repository (not copied, so the test follows the sample), built in a
/// console project that references only the packed package, and run: the zoo builds from the package.
/// </summary>
[Trait("Speed", "Slow")]
[Collection(PackedRuntimeCollection.Name)]
public partial class ZooTests(PackedRuntime package, ITestOutputHelper log)
{
    private static string Zoo => Path.Combine(PackedRuntime.RepositoryRoot, "samples", "Zoo");

    /// <summary>
    /// torchvision's parameter counts (each weights enum's meta["num_params"], sum of p.numel() over parameters()), and the U-Net's
    /// from the paper's layers (valid 3x3 convs with biases, 2x2 up-convolutions, a 1x1 conv to two classes).
    /// </summary>
    private static readonly Dictionary<string, string> TorchvisionParameters = new()
    {
        ["resnet18"] = "11,689,512",
        ["resnet50"] = "25,557,032",
        ["mobilenet_v2"] = "3,504,872",
        ["squeezenet1_1"] = "1,235,496",
        ["vgg11_bn"] = "132,868,840",
        ["shufflenet_v2_x1_0"] = "2,278,604",
        ["mobilenet_v3_small"] = "2,542,856",
        ["efficientnet_b0"] = "5,288,548",
        ["densenet121"] = "7,978,856",
        ["unet"] = "31,030,658",
    };

    /// <summary>The README's "Port a PyTorch model" code blocks: the ResNet-18 declaration, then its Load and Forward.</summary>
    private static IReadOnlyList<string> PortSnippets() =>
        Markdown.CSharpBlocksUnder(File.ReadAllText(Path.Combine(PackedRuntime.RepositoryRoot, "README.md")), "Port a PyTorch model");

    [Fact]
    public void The_zoo_builds_clean_from_the_package_and_every_model_has_torchvisions_parameter_count()
    {
        // The README's loading snippet compiled beside the zoo (its ResNet18), in a method nothing calls: it needs
        // torchvision's weights, which the tests do not download.
        var snippets = PortSnippets();
        Assert.Equal(2, snippets.Count);
        string port = "using Strider;\nusing Strider.Samples.Zoo;\n\n"
            + "/// <summary>README.md's \"Port a PyTorch model\" loading snippet.</summary>\n"
            + "public static class PortAPyTorchModel\n{\n    public static void Run(float[] pixels)\n    {\n"
            + Indent(snippets[1], "        ")
            + "        Console.WriteLine(logits.ToArray().Length);\n    }\n}\n";
        string dir = package.WriteConsumer("Zoo", program: null, items: $"""<Compile Include="{Zoo}{Path.DirectorySeparatorChar}*.cs" />""");
        File.WriteAllText(Path.Combine(dir, "PortAPyTorchModel.cs"), port);

        var (buildExit, build) = PackedRuntime.Run(dir, "dotnet", "build", "-nologo", "--disable-build-servers", "-warnaserror");
        log.WriteLine(build);
        Assert.True(buildExit == 0, "samples/Zoo does not build clean from the package:\n" + build);
        Assert.DoesNotContain("STR0", build);
        Assert.Matches(@"\b0 Warning\(s\)", build);

        // The zoo's own program prints each model's parameter count and Summary; the culture is pinned for the separators.
        var invariant = new Dictionary<string, string> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" };
        var (runExit, run) = PackedRuntime.Run(dir, invariant, "dotnet", "run", "--no-build");
        log.WriteLine(run);
        Assert.True(runExit == 0, "The zoo program failed when run from the package:\n" + run);
        var printed = CountLine().Matches(run).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["count"].Value);
        Assert.Equal(TorchvisionParameters.OrderBy(p => p.Key), printed.OrderBy(p => p.Key));
    }

    [Fact]
    public void The_readmes_port_example_declares_the_zoos_resnet18()
    {
        // The README's declaration is the one the zoo (built from the package above) compiles, to the character.
        string declaration = Regex.Replace(PortSnippets()[0], @"\s*//[^\n]*", "").Trim();
        string resnet = File.ReadAllText(Path.Combine(Zoo, "ResNet.cs")).ReplaceLineEndings("\n");
        Assert.True(resnet.Contains(declaration, StringComparison.Ordinal),
            $"README.md's 'Port a PyTorch model' declaration is not samples/Zoo/ResNet.cs's:\n{declaration}");
        Assert.EndsWith("public partial class ResNet18;", declaration);
    }

    private static string Indent(string code, string indent) =>
        string.Concat(code.ReplaceLineEndings("\n").Split('\n').Where(l => l.Length > 0).Select(l => indent + l + "\n"));

    [GeneratedRegex(@"^(?<name>\w+): (?<count>[\d,]+) parameters\r?$", RegexOptions.Multiline)]
    private static partial Regex CountLine();
}
