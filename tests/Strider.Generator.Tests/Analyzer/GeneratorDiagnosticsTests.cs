using System.Reflection;
using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>
/// STR errors reach every host that runs generators (the generator reports them), exactly once where the analyzer runs
/// too, and an invalid network still gets a class whose members throw, so the STR errors are the only errors.
/// </summary>
public class GeneratorDiagnosticsTests
{
    private const string Usings = "using Strider;\n";

    // STR0003: 4 channels added to 5.
    private const string BadChannels = Usings + """
        namespace App;

        [Network, Input(3, 8, 8)]
        [Conv(4, 1, Name = "a"), Conv(5, 1, Name = "b", From = "input")]
        [Add("a", "b")]
        public partial class Bad;
        """;

    // STR0001 (a warning): the stride-2 conv leaves a pixel of 30 unread.
    private const string LosesPixels = Usings + """
        namespace App;

        [Network, Input(1, 30, 29), Conv(4, 5, Stride = 2)]
        public partial class Lossy;
        """;

    private const string Program = Usings + """
        namespace App;

        public static class Use
        {
            public static string Run(Tensor<S3x8x8> x)
            {
                using var net = new Bad();
                var y = net.Forward(x);
                var dx = net.Backward(y);
                net.BackwardParameters(y);
                net.Save("bad.safetensors");
                net.ZeroGrad();
                INetwork<S3x8x8, S3x8x8> typed = net;
                return Bad.Summary + Bad.ParameterCount + net.Parameters.Count + dx.Length;
            }
        }
        """;

    [Fact]
    public void The_generator_alone_reports_the_STR_error_on_the_argument_at_fault()
    {
        var (_, generator, compiler, _) = GeneratorHarness.Build(BadChannels);
        var error = Assert.Single(generator);
        Assert.Equal("STR0003", error.Id);
        Assert.Equal("Network0.cs", error.Location.SourceTree?.FilePath);
        Assert.Equal("Add(\"a\", \"b\")", error.Location.SourceTree!.GetText().ToString(error.Location.SourceSpan));
        Assert.Empty(compiler);
    }

    [Fact]
    public void Generator_and_analyzer_together_report_each_diagnostic_exactly_once()
    {
        var (_, generator, compiler, analyzer) = GeneratorHarness.Build(BadChannels, LosesPixels);
        var all = generator.Concat(compiler).Concat(analyzer).ToList();
        Assert.All(all.GroupBy(d => (d.Id, d.Location.SourceTree?.FilePath, d.Location.SourceSpan)), g => Assert.Single(g));
        Assert.Equal(new[] { "STR0001", "STR0003" }, all.Select(d => d.Id).Order().ToArray());
        // Errors from the generator (every host that runs generators shows them), warnings from the analyzer.
        Assert.Equal("STR0003", Assert.Single(generator).Id);
        Assert.Equal("STR0001", Assert.Single(analyzer).Id);
    }

    [Fact]
    public void The_analyzer_without_the_generator_reports_the_errors_itself()
    {
        var diagnostics = GeneratorHarness.Analyze(GeneratorHarness.Compile(BadChannels, LosesPixels));
        Assert.Equal(new[] { "STR0001", "STR0003" }, diagnostics.Select(d => d.Id).Order().ToArray());
    }

    [Fact]
    public void Every_run_adds_the_marker_file_the_analyzer_looks_for()
    {
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(LosesPixels));
        Assert.Contains(output.SyntaxTrees, t => t.FilePath.EndsWith("/" + NetworkGenerator.MarkerHintName, StringComparison.Ordinal));
    }

    [Fact]
    public void A_program_using_an_invalid_network_compiles_with_only_the_STR_error()
    {
        var (_, generator, compiler, analyzer) = GeneratorHarness.Build(BadChannels, Program);
        Assert.Equal("STR0003", Assert.Single(generator).Id);
        // Where the program names the class (new Bad(), Bad.Summary, Bad.ParameterCount) the compiler repeats the same
        // STR0003 (the class is obsolete-as-error with that ID); nothing else: no CS0246, CS1061 or CS1674 cascade.
        Assert.True(compiler.All(d => d.Id == "STR0003" && d.Location.SourceTree?.FilePath == "Network1.cs"), "Compiler diagnostics:\n" + string.Join("\n", compiler));
        Assert.Equal(3, compiler.Length);
        Assert.Empty(analyzer);
    }

    [Fact]
    public void A_host_showing_only_a_documents_compiler_diagnostics_sees_the_STR_error_where_the_network_is_used()
    {
        // csharp-ls with default settings lists semanticModel.GetDiagnostics() per document: no generator or analyzer diagnostics.
        var (output, _, _, _) = GeneratorHarness.Build(BadChannels, Program);
        var program = output.SyntaxTrees.Single(t => t.FilePath == "Network1.cs");
        var shown = output.GetSemanticModel(program).GetDiagnostics();
        var error = Assert.Single(shown, d => d.Location.GetLineSpan().StartLinePosition.Line == 7);
        Assert.Equal("STR0003", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Contains("Add needs equal channel counts, but 'a' has 4, 'b' has 5", error.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("https://github.com/strider-nn/strider/blob/main/docs/diagnostics/STR0003.md", error.Descriptor.HelpLinkUri);
        Assert.All(shown, d => Assert.Equal("STR0003", d.Id));
    }

    [Fact]
    public void Without_a_usable_input_the_invalid_network_is_generic_over_the_shape_and_still_compiles()
    {
        const string noInput = Usings + """
            namespace App;

            [Network, Input(null), Relu]
            public partial class NoInput;

            [Network, Input(3, 8, 8), Relu]
            public partial class Fine;

            public static class Use
            {
                public static long Run(Tensor<S3x8x8> x)
                {
                    using var net = new NoInput();
                    var y = net.Forward(x);
                    net.Backward(y);
                    net.Save("n.safetensors");
                    return NoInput.ParameterCount + NoInput.Summary.Length;
                }
            }
            """;
        var (_, generator, compiler, _) = GeneratorHarness.Build(noInput);
        Assert.Equal("STR0014", Assert.Single(generator).Id);
        // The compiler's nullable warning on the user's own null literal, and STR0014 where the class is named.
        Assert.True(compiler.All(d => d.Id is "CS8625" or "STR0014"), "Compiler diagnostics:\n" + string.Join("\n", compiler));
    }

    [Fact]
    public void An_invalid_dense_network_with_dropout_keeps_DropoutStep_and_ForwardDense()
    {
        const string dense = Usings + """
            namespace App;

            [Network(Dense = true), Input(3, 8, 8), Conv(4, 3), Dropout(0.5), Conv(2, 9)]
            public partial class BadDense;

            public static class Use
            {
                public static long Run(Tensor<S3x8x8> x)
                {
                    using var net = new BadDense();
                    net.DropoutStep = 0;
                    return net.ForwardDense(x).Length;
                }
            }
            """;
        var (_, generator, compiler, _) = GeneratorHarness.Build(dense);
        Assert.Contains(generator, d => d.Id == "STR0007");
        Assert.True(compiler.All(d => d.Id == "STR0007"), "Compiler diagnostics:\n" + string.Join("\n", compiler));
    }

    [Fact]
    public void Every_member_of_an_invalid_network_throws_naming_the_diagnostic()
    {
        var (output, _, _, _) = GeneratorHarness.Build(BadChannels);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var type = Assembly.Load(image.ToArray()).GetType("App.Bad")!;
        var thrown = Assert.Throws<TargetInvocationException>(() => Activator.CreateInstance(type));
        var error = Assert.IsType<InvalidOperationException>(thrown.InnerException);
        Assert.Contains("STR0003", error.Message, StringComparison.Ordinal);
        Assert.Contains("Layer 'add1'", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Invalid network: STR0003", (string)type.GetField("Summary")!.GetValue(null)!, StringComparison.Ordinal);
        Assert.Equal(0L, type.GetField("ParameterCount")!.GetValue(null));
    }

    [Fact]
    public void The_class_doc_puts_the_intro_in_a_paragraph_and_the_layer_table_in_its_own_code_block()
    {
        var (_, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(Networks.LeNet));
        string text = run.Results.Single().GeneratedSources.Single(s => s.HintName == "Samples.LeNet.g.cs").SourceText.ToString();
        var doc = text.Split('\n').SkipWhile(l => l != "/// <summary>").TakeWhile(l => l != "/// </summary>").ToList();
        Assert.Equal("/// <para>Strider network LeNet (generated from its attributes):</para>", doc[1]);
        Assert.Equal("/// <code>", doc[2]);
        Assert.StartsWith("/// Layer ", doc[3], StringComparison.Ordinal);
        Assert.Equal("/// </code>", doc[^1]);
    }
}
