using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Analyzer;

/// <summary>
/// STR0020 against the generated code itself: for each snapshot network, every member its generated class declares is
/// written again by the user, and each must be STR0020 on the user's member, never a C# error (CS0102, CS0111) in the
/// generated file. The names come from compiling the generated code, so a new emitter member cannot slip past the check.
/// </summary>
public class GeneratedMemberCollisionTests
{
    // The public API methods overload by signature; DeclarationTests covers them (a user method of the same name could be fine).
    private static readonly HashSet<string> s_publicApiMethods = new(StringComparer.Ordinal)
        { "Forward", "Backward", "BackwardParameters", "ZeroGrad", "Save", "Load", "Dispose", "ExportOnnx" };

    public static TheoryData<string> Snapshots() => new()
    {
        "LeNet", "DenseLeNet", "Ddae", "WaveNet", "ResNetBlock", "Pyramid", "ForgottenStride",
    };

    private static string Source(string network) => network switch
    {
        "LeNet" => Networks.LeNet,
        "DenseLeNet" => Networks.DenseLeNet,
        "Ddae" => Networks.Ddae("Dim.Any"),
        "WaveNet" => Networks.WaveNet,
        "ResNetBlock" => Networks.ResNetBlock,
        "Pyramid" => Networks.Pyramid,
        "ForgottenStride" => Networks.ForgottenStride,
        _ => throw new ArgumentException(network),
    };

    [Theory]
    [MemberData(nameof(Snapshots))]
    public void A_user_field_named_like_any_generated_member_is_STR0020_on_it(string network)
    {
        var (className, generated) = GeneratedClass(Source(network));
        var names = generated.Select(m => m.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        // The per-layer members this check exists for are among them.
        if (network != "ForgottenStride") Assert.Contains(names, n => n.EndsWith("Geometry", StringComparison.Ordinal) && n != "DiagramLayout");

        var user = new StringBuilder("namespace Samples;\npartial class " + className + "\n{\n");
        foreach (var name in names) user.Append("    private int @").Append(name).Append(";\n");
        user.Append("}\n");
        AssertEachCollides(Source(network), user.ToString(), names);
    }

    [Theory]
    [MemberData(nameof(Snapshots))]
    public void A_user_method_with_a_generated_methods_signature_is_STR0020_on_it(string network)
    {
        var (className, generated) = GeneratedClass(Source(network));
        var methods = generated.OfType<IMethodSymbol>().Where(m => !s_publicApiMethods.Contains(m.Name)).ToList();
        Assert.Contains(methods, m => m.DeclaredAccessibility == Accessibility.Private);

        var user = new StringBuilder("namespace Samples;\npartial class " + className + "\n{\n");
        foreach (var method in methods)
        {
            var syntax = (MethodDeclarationSyntax)method.DeclaringSyntaxReferences[0].GetSyntax();
            user.Append("    private ").Append(method.IsStatic ? "static " : "").Append("void @").Append(method.Name)
                .Append(syntax.TypeParameterList?.ToString() ?? "").Append(syntax.ParameterList.ToString())
                .Append(" => throw new System.NotSupportedException();\n");
        }
        user.Append("}\n");
        AssertEachCollides(Source(network), user.ToString(), methods.Select(m => m.Name).ToList());
    }

    [Fact]
    public void A_user_overload_of_a_public_generated_method_is_fine_and_of_a_private_helper_is_STR0020()
    {
        const string user = """
            namespace Samples;
            partial class LeNet
            {
                public static void SaveDiagram(int scale) { }
                private int _a3, _conv9Out, _device2; // no generated member has these names (the old index names included)
                private void ThrowIfDisposed(System.Guid probe) { }
            }
            """;
        AssertEachCollides(Networks.LeNet, user, new[] { "ThrowIfDisposed" });
    }

    /// <summary>The generated class's own members (no constructors or accessors), from the compiled generated code.</summary>
    private static (string ClassName, List<ISymbol> Members) GeneratedClass(string source)
    {
        string className = Regex.Match(source, @"partial class (\w+)").Groups[1].Value;
        var (output, generator, compiler, _) = GeneratorHarness.Build(source);
        Assert.DoesNotContain(generator, d => d.Id == "STR0020");
        Assert.DoesNotContain(compiler, d => d.Severity == DiagnosticSeverity.Error);
        var tree = Assert.Single(output.SyntaxTrees, t => t.FilePath.EndsWith("Samples." + className + ".g.cs", StringComparison.Ordinal));
        var declaration = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().First(c => c.Identifier.ValueText == className);
        var type = (INamedTypeSymbol)output.GetSemanticModel(tree).GetDeclaredSymbol(declaration)!;
        var members = type.GetMembers()
            .Where(m => !m.IsImplicitlyDeclared && m.DeclaringSyntaxReferences.Length > 0 && m.DeclaringSyntaxReferences.All(r => r.SyntaxTree == tree))
            .Where(m => m is not IMethodSymbol { MethodKind: not MethodKind.Ordinary })
            .ToList();
        Assert.NotEmpty(members);
        return (className, members);
    }

    /// <summary>
    /// Exactly one STR0020 on each named user member in the second file, in order, and no C# error but the user file's own
    /// references to shape types (they are generated with the network, so not written while it has an error).
    /// </summary>
    private static void AssertEachCollides(string network, string user, IReadOnlyList<string> expected)
    {
        var (output, generator, compiler, analyzer) = GeneratorHarness.Build(network, user);
        Assert.DoesNotContain(generator.Concat(analyzer), d => d.Id is "CS8785" or "STR0099" or "AD0001");
        var errors = compiler.Where(d => d.Severity == DiagnosticSeverity.Error
            && !(d.Id == "CS0234" && d.Location.SourceTree?.FilePath == "Network1.cs" && d.GetMessage().Contains("'S", StringComparison.Ordinal))).ToList();
        Assert.True(errors.Count == 0, "C# errors:\n" + string.Join("\n", errors.Take(10)));
        var str = generator.Where(d => d.Id == "STR0020").OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.All(str, d => Assert.Equal("Network1.cs", d.Location.SourceTree?.FilePath));
        var at = str.Select(d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan).TrimStart('@')).ToList();
        Assert.Equal(expected, at);
    }
}
