using Microsoft.CodeAnalysis;
using Strider.Generator.Diagnostics;
using Strider.Generator.Layers;
using Strider.Generator.Model;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>
/// Declarations the generator cannot handle: each gets an STR diagnostic on the declaration, never a generator crash
/// (CS8785, which drops every network's code) or a C# error inside generated code, and never takes its neighbour down.
/// </summary>
public class DeclarationTests
{
    private const string Usings = "using Strider;\n";

    // A valid network in another file: its generated code must survive whatever the declaration under test does.
    private const string Neighbour = Usings + """
        namespace App;

        [Network, Input(1, 8, 8), Conv(2, 3), Flatten, Dense(3)]
        public partial class Fine;
        """;

    private static bool IsGenerated(Location location) => location.SourceTree?.FilePath.Contains("Strider.Generator", StringComparison.Ordinal) == true;

    /// <summary>Runs generator and analyzer on the declaration and its neighbour; checks the promises every declaration gets.</summary>
    private static (List<Diagnostic> Str, List<Diagnostic> Compiler) Check(string declaration)
    {
        var (output, generator, compiler, analyzer) = GeneratorHarness.Build(declaration, Neighbour);
        Assert.DoesNotContain(generator, d => d.Id is "CS8785" or "STR0099");
        Assert.DoesNotContain(analyzer, d => d.Id is "AD0001" or "STR0099");
        Assert.Contains(output.SyntaxTrees, t => t.FilePath.EndsWith("App.Fine.g.cs", StringComparison.Ordinal));
        var inGenerated = compiler.Where(d => IsGenerated(d.Location)).ToList();
        Assert.True(inGenerated.Count == 0, "Errors in generated code:\n" + string.Join("\n", inGenerated));
        Assert.DoesNotContain(compiler, d => d.Location.SourceTree?.FilePath == "Network1.cs");
        // Warnings in the user's own code (a null literal in a nullable context, a lowercase type name) are the compiler's business.
        return (generator.Concat(analyzer).ToList(), compiler.Where(d => d.Severity == DiagnosticSeverity.Error).ToList());
    }

    // ---------------------------------------------------------------- defect 1: crashes

    [Fact]
    public void A_file_local_network_is_STR0013_not_a_crash_and_its_neighbour_keeps_its_code()
    {
        var (str, compiler) = Check(Usings + """
            namespace App;

            [Network, Input(1, 8, 8), Relu]
            file partial class Local;
            """);
        var error = Assert.Single(str);
        Assert.Equal("STR0013", error.Id);
        Assert.Contains("'file'", error.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Local", error.Location.SourceTree!.GetText().ToString(error.Location.SourceSpan));
        Assert.Empty(compiler);
    }

    [Fact]
    public void Input_null_is_STR0014_not_a_crash()
    {
        var (str, compiler) = Check(Usings + """
            [Network, Input(null), Relu]
            public partial class NoDims;
            """);
        Assert.Equal("STR0014", Assert.Single(str).Id);
        Assert.Empty(compiler);
    }

    [Fact]
    public void A_second_Input_is_a_second_input_not_CS0579()
    {
        var (str, compiler) = Check(Usings + """
            [Network, Input(2, 8, 8, Name = "image"), Input(2, 8, 8, Name = "extra"), Add("image", "extra")]
            public partial class TwoInputs;
            """);
        // AllowMultiple: the compiler accepts the declaration (no CS0579), and the network with two inputs is generated.
        Assert.Empty(str);
        Assert.Empty(compiler);
    }

    [Theory]
    [InlineData("Concat(\"input\", null)", "STR0008")]
    [InlineData("Add(null)", "STR0008")]
    [InlineData("Concat(null)", "STR0008")]
    [InlineData("Add(\"input\", null, \"input\")", "STR0008")]
    [InlineData("Reshape(null)", null)]
    [InlineData("Permute(null)", null)]
    [InlineData("Pad(null)", null)]
    [InlineData("Crop(null)", null)]
    [InlineData("Conv(2, 3, Name = null, From = null)", "")]
    [InlineData("Conv(2, 3, Strides = null, Dilations = null)", "")]
    [InlineData("Deconv(1, 3, TiedTo = null)", "")]
    [InlineData("MaxPool(2, Strides = null)", "")]
    [InlineData("Relu(Name = \"\")", "STR0008")]
    [InlineData("Relu(From = \"\")", "STR0008")]
    public void Odd_constant_arguments_end_clean_or_with_STR_errors_only(string layer, string? expected)
    {
        var (str, compiler) = Check(Usings + $$"""
            [Network, Input(1, 8, 8, Name = "input"), {{layer}}]
            public partial class Odd;
            """);
        Assert.Empty(compiler);
        var errors = str.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        // "" = must work; null = any STR error or none; else that error.
        if (expected == "") Assert.Empty(errors);
        else if (expected is not null) Assert.Contains(errors, d => d.Id == expected);
    }

    [Fact]
    public void Null_names_in_a_merge_are_named_as_such()
    {
        var (str, _) = Check(Usings + """
            [Network, Input(1, 8, 8), Concat("input", null)]
            public partial class Odd;
            """);
        var error = Assert.Single(str);
        Assert.Equal("Layer 'concat1': its input 2 is null or empty; name an earlier layer or the input ('input')", error.GetMessage());
    }

    [Theory]
    [InlineData("public partial class Net<T>;", "Net", "cannot be generic")]
    [InlineData("public partial class Outer<T> { [Network, Input(1, 8, 8), Relu] public partial class Net; }", "Net", "generic type 'Outer'")]
    [InlineData("public partial class Outer { [Network, Input(1, 8, 8), Relu] public partial class Net; }", null, null)]
    [InlineData("public partial record Outer { [Network, Input(1, 8, 8), Relu] internal partial class Net; }", null, null)]
    [InlineData("public partial class Outer { public partial class Mid { [Network, Input(1, 8, 8), Relu] private partial class Net; } }", null, null)]
    public void Generic_and_nested_classes_work_or_are_STR0013_on_the_class(string body, string? at, string? problem)
    {
        string declaration = Usings + "namespace App;\n" + (body.StartsWith("public partial class Net<", StringComparison.Ordinal) ? "[Network, Input(1, 8, 8), Relu]\n" : "") + body;
        var (str, compiler) = Check(declaration);
        Assert.Empty(compiler);
        if (at is null)
        {
            Assert.Empty(str);
            return;
        }
        var error = Assert.Single(str);
        Assert.Equal("STR0013", error.Id);
        Assert.Contains(problem!, error.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(at, error.Location.SourceTree!.GetText().ToString(error.Location.SourceSpan));
    }

    [Fact]
    public void A_network_in_the_global_namespace_compiles_clean()
    {
        var (str, compiler) = Check(Usings + """
            [Network, Input(1, 8, 8), Conv(2, 3)]
            public partial class Global;
            """);
        Assert.Empty(str);
        Assert.Empty(compiler);
    }

    [Fact]
    public void Keywords_as_namespace_container_and_class_names_compile_clean()
    {
        var (str, compiler) = Check(Usings + """
            namespace @event.@class;

            public partial class @record
            {
                [Network, Input(1, 8, 8), Conv(2, 3)]
                public partial class @string;
            }
            """);
        Assert.Empty(str);
        Assert.Empty(compiler);
    }

    [Fact]
    public void Networks_whose_names_differ_only_in_case_get_distinct_files()
    {
        var (output, generator, compiler, _) = GeneratorHarness.Build(Usings + """
            namespace App;

            [Network, Input(1, 8, 8), Conv(2, 3)]
            public partial class Net;

            [Network, Input(1, 8, 8), Conv(3, 3)]
            public partial class NET;
            """);
        Assert.Empty(generator);
        Assert.Empty(compiler);
        Assert.NotNull(output.GetTypeByMetadataName("App.Net")!.GetMembers("Forward").SingleOrDefault());
        Assert.NotNull(output.GetTypeByMetadataName("App.NET")!.GetMembers("Forward").SingleOrDefault());
    }

    [Theory]
    [InlineData("App.Net", "App.Net.g.cs")]
    [InlineData("App.Outer+Net", "App.Outer.Net.")]
    [InlineData("App.<Network0>F0123__Local", "App._Network0_F0123__Local.")]
    [InlineData("Outer`1+Net", "Outer_1.Net.")]
    public void Hint_names_are_valid_file_names(string metadataName, string start)
    {
        string hint = HintNames.For(metadataName);
        Assert.StartsWith(start, hint, StringComparison.Ordinal);
        Assert.EndsWith(".g.cs", hint, StringComparison.Ordinal);
        Assert.All(hint, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '_' or '.', $"'{c}' in {hint}"));
    }

    [Fact]
    public void Hint_names_of_names_that_sanitize_alike_differ()
    {
        Assert.NotEqual(HintNames.For("A.B+C"), HintNames.For("A.B.C"));
        Assert.NotEqual(HintNames.For("A.<x>B"), HintNames.For("A._x_B"));
    }

    [Fact]
    public void An_exception_in_one_networks_planning_is_STR0099_for_that_network_only()
    {
        // The parser never gives a null merge name; a spec with one makes the planner throw, as a planner bug would.
        var layer = new LayerSpec(LayerRegistry.ByAttribute("Strider.ConcatAttribute")!, 0, null, null, 0, default, 0, default, 1, default, 0, 0, default, true, 0, null,
            false, false, null, 0, default, new EquatableArray<string>(new[] { "input", null! }), 0, 1, 1e-5, 0.1, 0, 0, default);
        var spec = new NetworkSpec("App", "Broken", "public", "App.Broken", default, new InputSpec(new EquatableArray<int>(new[] { 1, 8, 8 }), "input", default),
            new EquatableArray<LayerSpec>(new[] { layer }), SourceSpan.None);
        var result = NetworkPipeline.Plan(Result.Of(new ParsedNetwork(spec, Emittable: true)), CancellationToken.None);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("STR0099", error.Id);
        Assert.StartsWith("NullReferenceException", error.Arguments[1], StringComparison.Ordinal);
        // Its class is still written, with members that throw the error.
        Assert.Equal("STR0099", result.Value!.Invalid!.DiagnosticId);
        Assert.Contains("Strider could not analyse network 'Broken'", DiagnosticDescriptors.Message(error), StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- defect 2: C# errors in generated code, or silence

    [Theory]
    [InlineData("public partial class Net { public void Dispose() { } }", "STR0020", "Dispose")]
    [InlineData("public partial class Net { public Net() { } }", "STR0020", "Net")]
    [InlineData("public partial class Net { public void Save(string file) { } }", "STR0020", "Save")]
    [InlineData("public partial class Net { public int Summary => 1; }", "STR0020", "Summary")]
    [InlineData("public partial class Net { private int _device; }", "STR0020", "_device")]
    [InlineData("public partial class Net { public void Forward(Tensor<S1x8x8> x) { } }", "STR0020", "Forward")]
    [InlineData("public partial class Net { public void BackwardParameters(Tensor<S1x8x8> g) { } }", "STR0020", "BackwardParameters")]
    [InlineData("public class Base { public virtual void Dispose() { } }\n[Network, Input(1, 8, 8), Relu]\npublic partial class Net : Base;", "STR0021", "Net")]
    [InlineData("public class Base { public Base(int size) { } }\n[Network, Input(1, 8, 8), Relu]\npublic partial class Net : Base;", "STR0021", "Net")]
    [InlineData("public partial record Net;", "STR0013", "Net")]
    [InlineData("public static partial class Net;", "STR0013", "Net")]
    [InlineData("public abstract partial class Net;", "STR0013", "Net")]
    [InlineData("public class Net;", "STR0013", "Net")]
    public void A_declaration_the_generated_code_would_break_is_an_STR_error_on_the_declaration(string body, string id, string at)
    {
        string declaration = Usings + "namespace App;\n" + (body.StartsWith("public class Base", StringComparison.Ordinal) ? "" : "[Network, Input(1, 8, 8), Relu]\n") + body;
        var (str, compiler) = Check(declaration);
        // Without a parameterless base constructor the user's class itself is CS7036 (its implicit constructor), generator or not.
        Assert.True(compiler.All(d => d.Id == "CS7036" && body.Contains("Base(int", StringComparison.Ordinal)), "Compiler diagnostics:\n" + string.Join("\n", compiler));
        var error = Assert.Single(str);
        Assert.Equal(id, error.Id);
        Assert.Equal("Network0.cs", error.Location.SourceTree?.FilePath);
        Assert.Equal(at, error.Location.SourceTree!.GetText().ToString(error.Location.SourceSpan));
    }

    [Fact]
    public void A_user_Forward_for_another_shape_is_an_overload_that_works()
    {
        var (str, compiler) = Check(Usings + "namespace App;\n[Network, Input(1, 8, 8), Relu]\npublic partial class Net { public void Forward(Tensor<S3> other) { } }");
        Assert.Empty(str);
        Assert.Empty(compiler);
    }

    [Fact]
    public void A_user_Forward_for_an_invalid_networks_input_shape_collides_with_its_throwing_Forward()
    {
        var (str, compiler) = Check(Usings + "namespace App;\n[Network, Input(1, 8, 8), Conv(2, 9)]\npublic partial class Net { public void Forward(Tensor<S1x8x8> x) { } }");
        Assert.Equal(new[] { "STR0007", "STR0020" }, str.Select(d => d.Id).Order().ToArray());
        Assert.Empty(compiler);
    }

    [Theory]
    [InlineData("public partial struct Net;", "a struct")]
    [InlineData("public partial interface INet;", "an interface")]
    [InlineData("public partial record struct Net;", "a record struct")]
    public void A_network_on_a_struct_or_interface_is_STR0013_besides_the_compilers_attribute_target_error(string body, string kind)
    {
        var (str, compiler) = Check(Usings + "namespace App;\n[Network, Input(1, 8, 8), Relu]\n" + body);
        var error = Assert.Single(str, d => d.Id.StartsWith("STR", StringComparison.Ordinal));
        Assert.Equal("STR0013", error.Id);
        Assert.Contains("is " + kind, error.GetMessage(), StringComparison.Ordinal);
        Assert.All(compiler, d => Assert.Equal("CS0592", d.Id));
    }

    [Fact]
    public void The_messages_of_member_and_base_class_conflicts_say_what_to_do()
    {
        var (dispose, _) = Check(Usings + "namespace App;\n[Network, Input(1, 8, 8), Relu]\npublic partial class Net { public void Dispose() { } }");
        Assert.Equal("Network 'Net' declares 'Dispose'(), which the generator writes itself (the generated 'Dispose' has this signature; remove or rename yours (the generated Dispose frees the device buffers))",
            Assert.Single(dispose).GetMessage());
        var (ctor, _) = Check(Usings + "namespace App;\npublic class Base { public Base(int size) { } }\n[Network, Input(1, 8, 8), Relu]\npublic partial class Net : Base;");
        Assert.Equal("Network 'Net' derives from 'Base', which has no parameterless constructor the generated constructors can call; give it a 'protected Base()' constructor, or drop the base class",
            Assert.Single(ctor).GetMessage());
        var (hides, _) = Check(Usings + "namespace App;\npublic class Base { public virtual void Dispose() { } }\n[Network, Input(1, 8, 8), Relu]\npublic partial class Net : Base;");
        Assert.Contains("declares 'Base.Dispose' (virtual), which the generated members of the same name would hide", Assert.Single(hides).GetMessage(), StringComparison.Ordinal);
    }
}
