using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Diagrams;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Snapshots;

/// <summary>Generated code for the seed's networks, compared with the reviewed files under Snapshots/Expected.</summary>
public class SnapshotTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "LeNet", Networks.LeNet },
        { "Ddae", Networks.Ddae("Dim.Any") },
        { "WaveNet", Networks.WaveNet },
        { "ResNetBlock", Networks.ResNetBlock },
        { "Pyramid", Networks.Pyramid },
        { "DenseLeNet", Networks.DenseLeNet },
        { "DottedNames", Networks.DottedNames },
        { "TwoInputs", Networks.TwoInputs },
        { "Detector", Networks.Detector },
        // An invalid network: its class with the members of a valid one, each throwing the STR error.
        { "ForgottenStride", Networks.ForgottenStride },
    };

    /// <summary>The files a case's snapshot holds: every generated source but the generator's marker file, which is the same comment for every compilation (GeneratorDiagnosticsTests covers it).</summary>
    private static IEnumerable<GeneratedSourceResult> SnapshotFiles(GeneratorDriverRunResult run) =>
        run.Results.Single().GeneratedSources.Where(f => f.HintName != NetworkGenerator.MarkerHintName);

    // The expected files are not compiled into this assembly: the generated code compiles here, in memory, against the runtime.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_code_matches_the_snapshot_and_compiles_clean(string name, string source)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        GeneratorHarness.AssertClean(output);
        using (var image = new MemoryStream())
        {
            var emitted = output.Emit(image);
            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        }
        var generated = SnapshotFiles(run).ToList();
        Assert.NotEmpty(generated);
        foreach (var file in generated)
            Snapshot.Match(name, file.HintName, file.SourceText.ToString());
    }

    [Fact]
    public void Every_snapshot_file_is_produced_by_a_case_and_every_produced_file_is_checked_in()
    {
        var produced = Cases.Select(c => c.Data)
            .SelectMany(c => SnapshotFiles(GeneratorHarness.Generate(GeneratorHarness.Compile(c.Item2)).Run).Select(f => c.Item1 + "/" + f.HintName))
            .Concat(DiagramSnapshotTests.Cases.Select(c => DiagramSnapshotTests.SnapshotPath(c.Data.Item1)));
        var problems = Snapshot.CheckInventory(Snapshot.Directory(), produced, Snapshot.Updating);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_expected_files_are_not_compiled_into_the_test_assembly()
    {
        Assert.Null(typeof(SnapshotTests).Assembly.GetType("Samples.LeNet"));
        Assert.Null(typeof(SnapshotTests).Assembly.GetType("Strider.S1x28x28"));
    }

    [Fact]
    public void LeNet_has_the_seed_parameter_count_and_a_summary_on_the_class()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(Networks.LeNet));
        var type = output.GetTypeByMetadataName("Samples.LeNet")!;
        var count = type.GetMembers("ParameterCount").OfType<IFieldSymbol>().Single();
        Assert.Equal(431080L, count.ConstantValue);
        string doc = type.GetDocumentationCommentXml() ?? "";
        string source = run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.LeNet")).SourceText.ToString();
        Assert.Contains("/// conv3     Conv 500 4x4    500x1x1   400,500  28x28  4x4", source);
        Assert.Contains("Total parameters: 431,080", source);
    }

    [Fact]
    public void A_wrong_shape_is_a_compile_error()
    {
        const string misuse = """
            using Strider;
            namespace Samples;
            public static class Use
            {
                public static void Run(LeNet net, Tensor<S1x28x28> ok, Tensor<S10x1x1> wrong)
                {
                    net.Forward(ok);
                    net.Forward(wrong);
                }
            }
            """;
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(Networks.LeNet, misuse));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var error = Assert.Single(errors);
        Assert.Equal("CS1503", error.Id);
        Assert.Contains("S10x1x1", error.GetMessage());
    }

    [Fact]
    public void Network_marked_on_two_parts_of_a_partial_class_is_one_compile_error_not_a_generator_crash()
    {
        const string parts = """
            using Strider;
            namespace Samples;
            [Network, Input(1, 8, 8), Conv(2, 3)] public partial class Twice;
            [Network, Input(1, 8, 8), Conv(2, 3)] public partial class Twice;
            """;
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(parts));
        // [Input] allows several (issue #13), so the repeated one is the generator's STR0014, not a second CS0579.
        Assert.Equal("STR0014", Assert.Single(run.Diagnostics).Id);
        Assert.Single(run.Results.Single().GeneratedSources, s => s.HintName.Contains("Twice"));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).Distinct();
        Assert.Equal(new[] { "CS0579" }, errors);
    }

    [Fact]
    public void One_networks_output_type_is_the_next_ones_input_type()
    {
        const string chain = """
            using Strider;
            namespace Samples;
            [Network, Input(10, 1, 1), Conv(3, 1)] public partial class Head;
            public static class Use
            {
                public static Tensor<S3x1x1> Run(LeNet a, Head b, Tensor<S1x28x28> x) => b.Forward(a.Forward(x));
            }
            """;
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(Networks.LeNet, chain));
        GeneratorHarness.AssertClean(output);
    }
}
