using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Strider.Generator.Diagnostics;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Parsing;
using Strider.Generator.Planning;

namespace Strider.Generator;

/// <summary>
/// Emits each [Network] class's typed forward/backward code, and the shape types the networks use. Diagnostics come
/// from <see cref="NetworkAnalyzer"/> (same parser and planner), so a diagnostic change never regenerates code.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var specs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkParser.NetworkAttributeName,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (ctx, ct) => ParseOrNull(ctx, ct))
            .Where(static spec => spec is not null)
            .WithTrackingName(TrackingNames.Spec);

        var plans = specs
            .Select(static (spec, ct) => PlanOrNull(spec!))
            .Where(static plan => plan is not null)
            .WithTrackingName(TrackingNames.Plan);

        context.RegisterSourceOutput(plans, static (spc, plan) => spc.AddSource(plan!.HintName, NetworkEmitter.Emit(plan)));

        var shapes = plans
            .SelectMany(static (plan, _) => ShapesOf(plan!))
            .Collect()
            .Select(static (all, _) => new EquatableArray<ShapeSpec>(all.Distinct().OrderBy(s => s.Name, System.StringComparer.Ordinal)))
            .WithTrackingName(TrackingNames.Shapes);

        // Shape types already defined by a referenced assembly are reused, so one library's output type is the next one's input type.
        var referenced = context.CompilationProvider
            .Select(static (compilation, _) => ReferencedShapeNames(compilation))
            .WithTrackingName(TrackingNames.ReferencedShapes);

        context.RegisterSourceOutput(shapes.Combine(referenced), static (spc, pair) =>
        {
            var (all, existing) = pair;
            var missing = all.Where(s => !existing.Contains(s.Name)).ToList();
            if (missing.Count > 0) spc.AddSource("Strider.Shapes.g.cs", ShapeEmitter.Emit(missing));
        });
    }

    private static NetworkSpec? ParseOrNull(GeneratorAttributeSyntaxContext context, System.Threading.CancellationToken ct)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        // [Network] on two parts of one partial class is CS0579; emit the class once (from its first marked part), not twice.
        if (type.DeclaringSyntaxReferences.Length > 1 && !IsFirstMarkedPart(type, context.TargetNode, ct)) return null;
        var problems = new List<DiagnosticInfo>();
        var spec = NetworkParser.Parse(type, context.TargetNode.SyntaxTree, problems, ct);
        return problems.Count > 0 ? null : spec;
    }

    private static bool IsFirstMarkedPart(INamedTypeSymbol type, SyntaxNode node, System.Threading.CancellationToken ct)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is not ClassDeclarationSyntax part || part.AttributeLists.Count == 0) continue;
            bool marked = type.GetAttributes().Any(a => a.ApplicationSyntaxReference?.GetSyntax(ct).Ancestors().Contains(part) == true
                && a.AttributeClass?.ToDisplayString() == NetworkParser.NetworkAttributeName);
            if (marked) return part == node;
        }
        return false;
    }

    private static NetworkPlan? PlanOrNull(NetworkSpec spec)
    {
        try
        {
            return NetworkPlanner.Plan(spec).Plan;
        }
        catch (System.Exception)
        {
            // Never fail the build from here: the analyzer reports the same exception as STR0099 with its details.
            return null;
        }
    }

    private static IEnumerable<ShapeSpec> ShapesOf(NetworkPlan plan)
    {
        yield return ShapeSpec.From(plan.Nodes[0].Shape, plan.Accessibility == "public");
        yield return ShapeSpec.From(plan.Nodes[plan.Nodes.Count - 1].Shape, plan.Accessibility == "public");
        if (plan.Dense is not null) yield return ShapeSpec.From(plan.Dense.Nodes[plan.Dense.Nodes.Count - 1].Shape, plan.Accessibility == "public");
    }

    private static EquatableArray<string> ReferencedShapeNames(Compilation compilation)
    {
        var strider = compilation.GlobalNamespace.GetNamespaceMembers().FirstOrDefault(n => n.Name == "Strider");
        if (strider is null) return EquatableArray<string>.Empty;
        var names = new List<string>();
        foreach (var type in strider.GetTypeMembers())
        {
            if (SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, compilation.Assembly)) continue;
            if (type.DeclaredAccessibility != Accessibility.Public) continue;
            if (type.Name.Length > 1 && type.Name[0] == 'S' && char.IsDigit(type.Name[1]) && type.AllInterfaces.Any(i => i.Name == "IShape"))
                names.Add(type.Name);
        }
        names.Sort(System.StringComparer.Ordinal);
        return new EquatableArray<string>(names);
    }
}

/// <summary>Names of the tracked pipeline steps (incrementality tests assert on them).</summary>
internal static class TrackingNames
{
    public const string Spec = nameof(Spec);
    public const string Plan = nameof(Plan);
    public const string Shapes = nameof(Shapes);
    public const string ReferencedShapes = nameof(ReferencedShapes);
}
