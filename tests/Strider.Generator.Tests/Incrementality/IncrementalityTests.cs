using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Incrementality;

/// <summary>
/// The generator's tracked steps (Spec, Plan, Shapes, ReferencedShapes) hit the cache on a rerun and after edits that do
/// not touch a network, are recomputed after an edit to a network's attributes, and hold no Roslyn objects.
/// </summary>
public class IncrementalityTests
{
    private static readonly string[] Steps = { TrackingNames.Spec, TrackingNames.Plan, TrackingNames.Shapes, TrackingNames.ReferencedShapes };

    private const string Other = """
        namespace Samples;

        public static class Helpers
        {
            public static int Twice(int x) => 2 * x;
        }
        """;

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun(params string[] sources)
    {
        var compilation = GeneratorHarness.Compile(sources);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Null(first.Exception);
        foreach (var step in Steps) Assert.True(first.TrackedSteps.ContainsKey(step), $"The first run has no tracked step '{step}'.");
        return (driver, compilation);
    }

    private static GeneratorRunResult Rerun(GeneratorDriver driver, Compilation compilation)
    {
        var result = driver.RunGenerators(compilation).GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result;
    }

    private static IEnumerable<(string Step, IncrementalStepRunReason Reason)> Reasons(GeneratorRunResult result, string step) =>
        result.TrackedSteps.TryGetValue(step, out var runs)
            ? runs.SelectMany(r => r.Outputs).Select(o => (step, o.Reason))
            : throw new Xunit.Sdk.XunitException($"Step '{step}' did not run; tracked: {string.Join(", ", result.TrackedSteps.Keys)}.");

    private static void AssertAll(GeneratorRunResult result, string step, params IncrementalStepRunReason[] allowed)
    {
        var reasons = Reasons(result, step).Select(r => r.Reason).ToList();
        Assert.NotEmpty(reasons);
        Assert.True(reasons.All(allowed.Contains),
            $"Step '{step}' ran as [{string.Join(", ", reasons)}]; expected only [{string.Join(", ", allowed)}].");
    }

    private static void AssertCached(GeneratorRunResult result)
    {
        foreach (var step in Steps) AssertAll(result, step, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        // Nothing upstream changed, so no source is written again.
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs),
            o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    [Fact]
    public void Second_run_on_a_clone_hits_the_cache()
    {
        var (driver, compilation) = FirstRun(Networks.LeNet, Other);
        AssertCached(Rerun(driver, compilation.Clone()));
    }

    [Fact]
    public void Adding_an_unrelated_file_hits_the_cache()
    {
        var (driver, compilation) = FirstRun(Networks.LeNet, Networks.Pyramid);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(Other, GeneratorHarness.ParseOptions, path: "Other.cs"));
        AssertCached(Rerun(driver, edited));
    }

    [Fact]
    public void Editing_another_file_hits_the_cache()
    {
        var (driver, compilation) = FirstRun(Networks.LeNet, Other);
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == "Network1.cs");
        var edited = compilation.ReplaceSyntaxTree(old, old.WithChangedText(old.GetText().Replace(0, 0, "// helpers for the samples\n")));
        AssertCached(Rerun(driver, edited));
    }

    [Fact]
    public void A_comment_after_the_network_leaves_every_step_unchanged()
    {
        var (driver, compilation) = FirstRun(Networks.LeNet);
        var old = compilation.SyntaxTrees.Single();
        var text = old.GetText();
        var edited = compilation.ReplaceSyntaxTree(old, old.WithChangedText(text.Replace(text.Length, 0, "\n// LeNet-5, as in the 1998 paper\n")));
        var result = Rerun(driver, edited);
        // The file changed, so its network is parsed again; it compares equal to the cached one and nothing downstream runs.
        AssertCached(result);
    }

    [Fact]
    public void A_comment_above_the_network_moves_spans_but_not_the_plan()
    {
        var (driver, compilation) = FirstRun(Networks.LeNet);
        var old = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(old, old.WithChangedText(old.GetText().Replace(0, 0, "// LeNet-5\n")));
        var result = Rerun(driver, edited);
        // The spec keeps attribute spans for diagnostics, so it differs; the plan has no positions and stays.
        AssertAll(result, TrackingNames.Spec, IncrementalStepRunReason.Modified);
        AssertAll(result, TrackingNames.Plan, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAll(result, TrackingNames.Shapes, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs),
            o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
    }

    [Fact]
    public void Editing_a_networks_attributes_recomputes_spec_and_plan()
    {
        var (driver, compilation) = FirstRun(Networks.LeNet, Other);
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == "Network0.cs");
        var edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(Networks.LeNet.Replace("[Conv(20, 5)", "[Conv(16, 5)"), GeneratorHarness.ParseOptions, path: "Network0.cs"));
        var result = Rerun(driver, edited);
        AssertAll(result, TrackingNames.Spec, IncrementalStepRunReason.Modified);
        AssertAll(result, TrackingNames.Plan, IncrementalStepRunReason.Modified);
        // Input and output shapes are the same, so the shape types are not written again.
        AssertAll(result, TrackingNames.Shapes, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void Changing_the_output_shape_modifies_the_shape_step()
    {
        var (driver, compilation) = FirstRun(Networks.LeNet);
        var old = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(Networks.LeNet.Replace("[Conv(10, 1)", "[Conv(12, 1)"), GeneratorHarness.ParseOptions, path: old.FilePath));
        var result = Rerun(driver, edited);
        AssertAll(result, TrackingNames.Plan, IncrementalStepRunReason.Modified);
        AssertAll(result, TrackingNames.Shapes, IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void A_comment_above_an_invalid_network_keeps_its_class_cached_and_moves_its_error()
    {
        const string invalid = """
            using Strider;
            namespace Samples;
            [Network, Input(3, 8, 8), Conv(4, 1, Name = "a"), Conv(5, 1, Name = "b", From = "input"), Add("a", "b")]
            public partial class Bad;
            """;
        var (driver, compilation) = FirstRun(invalid);
        var first = driver.GetRunResult().Diagnostics.Single();
        var old = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(old, old.WithChangedText(old.GetText().Replace(0, 0, "// moved down a line\n")));
        driver = driver.RunGenerators(edited);
        var result = driver.GetRunResult().Results.Single();
        // The throwing class has no positions: it is not written again. Its error is reported where it now is.
        AssertAll(result, TrackingNames.Plan, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAll(result, TrackingNames.Shapes, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        var moved = Assert.Single(result.Diagnostics);
        Assert.Equal("STR0003", moved.Id);
        Assert.Equal(first.Location.GetLineSpan().StartLinePosition.Line + 1, moved.Location.GetLineSpan().StartLinePosition.Line);
    }

    // ---------------------------------------------------------------- no Roslyn objects in the models

    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(Compilation), typeof(SemanticModel),
        typeof(SyntaxToken), typeof(SyntaxTrivia), typeof(AttributeData), typeof(TypedConstant),
    };

    private static bool IsForbidden(Type type) =>
        Forbidden.Any(f => f.IsAssignableFrom(type)) || (type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) ?? false);

    private static bool IsFramework(Type type) => type.Namespace is { } ns && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal));

    /// <summary>Every type a field of <paramref name="root"/> can hold, through fields, arrays and generic arguments.</summary>
    private static void WalkType(Type root, List<string> problems)
    {
        var seen = new HashSet<Type>();
        var pending = new Stack<(Type Type, string Path)>();
        pending.Push((root, root.Name));
        while (pending.Count > 0)
        {
            var (type, path) = pending.Pop();
            if (!seen.Add(type)) continue;
            if (IsForbidden(type)) { problems.Add($"{path}: {type.FullName}"); continue; }
            if (type.IsArray) { pending.Push((type.GetElementType()!, path + "[]")); continue; }
            foreach (var argument in type.GetGenericArguments()) pending.Push((argument, $"{path}<{argument.Name}>"));
            // Framework types (strings, ImmutableArray) hold only what their generic arguments say, pushed above.
            if (type.IsPrimitive || type.IsEnum || IsFramework(type)) continue;
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                pending.Push((field.FieldType, $"{path}.{field.Name}"));
        }
    }

    [Fact]
    public void Model_types_hold_no_symbols_syntax_locations_or_compilations()
    {
        var assembly = typeof(NetworkGenerator).Assembly;
        var models = assembly.GetTypes().Where(t => (t.Namespace == "Strider.Generator.Model" && !t.IsAbstract) || t.Name == "ShapeSpec").ToList();
        Assert.Contains(models, t => t.Name == "NetworkSpec");
        Assert.Contains(models, t => t.Name == "NetworkPlan");
        var problems = new List<string>();
        foreach (var type in models) WalkType(type, problems);
        Assert.True(problems.Count == 0, "Model types that can hold Roslyn objects:\n" + string.Join("\n", problems));
    }

    private sealed record Leaky(string Name, Strider.Generator.Model.EquatableArray<Inner> Parts);

    private sealed record Inner(int Size, Location[] Where);

    [Fact]
    public void The_type_walk_finds_a_location_held_inside_an_equatable_array()
    {
        var problems = new List<string>();
        WalkType(typeof(Leaky), problems);
        Assert.Contains(problems, p => p.Contains("Microsoft.CodeAnalysis.Location"));
    }

    [Fact]
    public void Step_outputs_hold_no_roslyn_objects_at_run_time()
    {
        var (driver, _) = FirstRun(Networks.LeNet, Networks.Ddae("Dim.Any"), Networks.Pyramid);
        var result = driver.GetRunResult().Results.Single();
        var problems = new List<string>();
        foreach (var step in Steps)
            foreach (var output in result.TrackedSteps[step].SelectMany(r => r.Outputs))
                WalkValue(output.Value, step, problems, new HashSet<object>(ReferenceEqualityComparer.Instance));
        Assert.True(problems.Count == 0, "Step outputs holding Roslyn objects:\n" + string.Join("\n", problems.Take(10)));
    }

    private static void WalkValue(object? value, string path, List<string> problems, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        var type = value.GetType();
        if (IsForbidden(type))
        {
            problems.Add($"{path}: {type.FullName}");
            return;
        }
        if (!type.IsValueType && !seen.Add(value)) return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) WalkValue(item, $"{path}[{i++}]", problems, seen);
        }
        if (value is System.Runtime.CompilerServices.ITuple tuple)
            for (int k = 0; k < tuple.Length; k++) WalkValue(tuple[k], $"{path}.Item{k + 1}", problems, seen);
        if (IsFramework(type)) return;
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            WalkValue(field.GetValue(value), $"{path}.{field.Name}", problems, seen);
    }
}
