using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>Declarations the fuzz test (Fuzz/FuzzTests) found mishandled, each now reported on the layer at fault.</summary>
public class FuzzRegressionTests
{
    private const string Usings = "using Strider;\n";

    // Fuzz seed 20260401, batch 2: 2147483647x76x66 flattened wrapped to -5016 and emitted `class S-5016` (CS1514).
    private const string HugeInputFlattened = Usings + """
        [Network, Input(2147483647, 76, 66), Flatten]
        [SoftSign(Name = "n1")]
        public partial class Huge;
        """;

    [Fact]
    public Task An_input_of_more_than_2_to_the_31_values_is_STR0014_on_the_input() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, {|STR0014:Input(2147483647, 76, 66)|}, Flatten]
        [SoftSign(Name = "n1")]
        public partial class Huge;
        """);

    [Fact]
    public Task A_layer_whose_output_exceeds_2_to_the_31_values_is_STR0008_on_that_layer() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 2000, 2000)]
        [{|STR0008:Conv(1000, 1)|}, Flatten]
        public partial class Wide;
        """);

    [Fact]
    public Task A_concat_whose_output_exceeds_2_to_the_31_values_is_STR0008_on_the_concat() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1000000000, 1), Relu(Name = "a"), Relu(Name = "b", From = "input")]
        [{|STR0008:Concat("a", "b", "input")|}]
        public partial class Merged;
        """);

    [Fact]
    public void An_overflowing_network_gets_a_throwing_class_with_STR0014_only_and_its_neighbour_still_compiles()
    {
        var compilation = GeneratorHarness.Compile(HugeInputFlattened, Usings + """
            [Network, Input(1, 8, 8), Conv(2, 3), Flatten, Dense(3)]
            public partial class Fine;
            """);
        var (output, run) = GeneratorHarness.Generate(compilation);

        Assert.All(run.Results, r => Assert.Null(r.Exception));
        var generated = run.Results.SelectMany(r => r.GeneratedSources).ToList();
        var huge = Assert.Single(generated, s => s.HintName.Contains("Huge", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("throw Invalid()", huge, StringComparison.Ordinal);
        var shapes = Assert.Single(generated, s => s.HintName == "Strider.Shapes.g.cs").SourceText.ToString();
        Assert.DoesNotContain("class S-", shapes, StringComparison.Ordinal);
        // The generator reports the error; the compiler has nothing to add, in the user's file or the generated ones.
        Assert.Equal("STR0014", Assert.Single(run.Diagnostics).Id);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}
