using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Strider.Generator.Diagnostics;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Parsing;
using Strider.Generator.Planning;

namespace Strider.Generator;

/// <summary>
/// Parse, plan and emit of one [Network] class with one exception policy, shared by the generator, the analyzer and the
/// code fix: each step is a <see cref="Result{T}"/> (its value and every diagnostic so far), every problem is an STR
/// diagnostic, an unexpected exception is STR0099 for that network only, cancellation is an
/// <see cref="System.OperationCanceledException"/> (never STR0099), and an invalid network whose class is usable still
/// gets a generated class whose members throw (see <see cref="InvalidNetworkPlan"/>).
/// </summary>
internal static class NetworkPipeline
{
    public static Result<ParsedNetwork> Parse(INamedTypeSymbol type, SyntaxTree declaringTree, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var culture = InvariantCultureScope.Enter();
        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            var spec = NetworkParser.Parse(type, declaringTree, diagnostics, out bool emittable, cancellationToken);
            return Result.Of(new ParsedNetwork(spec, emittable), diagnostics);
        }
        catch (System.Exception e) when (e is not System.OperationCanceledException)
        {
            diagnostics.Add(InternalError(type.Name, SourceSpan.None, e));
            return Result.Of<ParsedNetwork>(null, diagnostics);
        }
    }

    /// <summary>
    /// The diagnostics of a block declaration checked on its own with its parameters' defaults: its expansion always,
    /// and its shapes when it declares an [Input] to check them at. Nothing is generated for a block.
    /// </summary>
    public static EquatableArray<DiagnosticInfo> CheckBlock(INamedTypeSymbol type, SyntaxTree declaringTree, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var culture = InvariantCultureScope.Enter();
        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            var spec = NetworkParser.ParseBlock(type, declaringTree, diagnostics, cancellationToken);
            if (spec.Input is not null && !diagnostics.Any(d => DiagnosticDescriptors.IsError(d.Id)))
                diagnostics.AddRange(NetworkPlanner.Plan(spec, cancellationToken).Diagnostics);
        }
        catch (System.Exception e) when (e is not System.OperationCanceledException)
        {
            diagnostics.Add(InternalError(type.Name, SourceSpan.None, e));
        }
        return new EquatableArray<DiagnosticInfo>(diagnostics);
    }

    /// <summary>The network's output (none for an unusable class) and every diagnostic, in declaration order.</summary>
    public static Result<NetworkOutput> Plan(Result<ParsedNetwork> parsed, CancellationToken cancellationToken)
    {
        using var culture = InvariantCultureScope.Enter();
        if (parsed.Value is not { } network) return parsed.With<NetworkOutput>(null);
        var spec = network.Spec;
        var planned = parsed.HasErrors ? parsed.With<NetworkPlan>(null) : PlanSpec(spec, parsed, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (!network.Emittable) return planned.With<NetworkOutput>(null);
        var output = planned.Value is { } plan
            ? new NetworkOutput(plan, null)
            : new NetworkOutput(null, Invalid(spec, planned.Diagnostics.First(d => DiagnosticDescriptors.IsError(d.Id))));
        // A user Forward or Backward for the network's own shape would be CS0111 in the generated class: report it and write nothing.
        var collisions = new List<DiagnosticInfo>();
        CheckOverloads(spec, output, collisions);
        CheckMembers(spec, output, collisions);
        return planned.With(collisions.Count == 0 ? output : null, collisions);
    }

    /// <summary>The planner's result on a spec without errors; an exception there is STR0099, a plan-less success one too.</summary>
    private static Result<NetworkPlan> PlanSpec(NetworkSpec spec, Result<ParsedNetwork> parsed, CancellationToken cancellationToken)
    {
        try
        {
            var planned = NetworkPlanner.Plan(spec, cancellationToken);
            var result = parsed.With(planned.Value, planned.Diagnostics);
            if (result.Value is null && !result.HasErrors)
                return result.With<NetworkPlan>(null, new[] { InternalError(spec.ClassName, spec.ClassNameSpan, new System.InvalidOperationException("the planner gave no plan and no error")) });
            return result;
        }
        catch (System.Exception e) when (e is not System.OperationCanceledException)
        {
            return parsed.With<NetworkPlan>(null, new[] { InternalError(spec.ClassName, spec.ClassNameSpan, e) });
        }
    }

    /// <summary>
    /// The generated file's text under the invariant culture: the execution plan decided, then written. An exception
    /// is STR0099 for that network, never a generator crash that drops every network's code.
    /// </summary>
    public static Result<string> Emit(NetworkOutput output, CancellationToken cancellationToken)
    {
        using var culture = InvariantCultureScope.Enter();
        try
        {
            if (output.Plan is not { } plan) return Result.Of(InvalidNetworkEmitter.Emit(output.Invalid!));
            var exec = ExecutionPlanner.Plan(plan, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            return Result.Of(NetworkEmitter.Emit(plan, exec));
        }
        catch (System.Exception e) when (e is not System.OperationCanceledException)
        {
            return Result.Of<string>(null, new[] { InternalError(output.ClassName, SourceSpan.None, e) });
        }
    }

    private static void CheckOverloads(NetworkSpec spec, NetworkOutput output, List<DiagnosticInfo> diagnostics)
    {
        if (spec.TensorOverloads.Count == 0) return;
        string? input, result;
        if (output.Plan is { } plan)
        {
            // Only a one-tensor Forward(Tensor<X>) or Backward(Tensor<Y>) can meet a user's one-tensor overload.
            input = plan.InputCount == 1 ? NetworkEmitter.ShapeName(plan.Nodes[0].Shape) : null;
            var outputs = ExecutionPlanner.Outputs(plan);
            result = outputs.Length == 1 ? NetworkEmitter.ShapeName(plan.Nodes[outputs[0]].Shape) : null;
        }
        else if (output.Invalid!.InputDims.Count > 0)
            input = result = NetworkEmitter.ShapeName(InvalidNetworkEmitter.InputShape(output.Invalid));
        else
            return; // the invalid network's Forward and Backward are generic: an overload for a concrete shape is fine
        foreach (var overload in spec.TensorOverloads)
        {
            string? generated = overload.Method == "Forward" ? input : result;
            if (generated is null || overload.Shape != generated) continue;
            diagnostics.Add(DiagnosticInfo.Create("STR0020", overload.Span, spec.ClassName, $"'{overload.Method}'(Tensor<{overload.Shape}>)",
                $"the generated '{overload.Method}' takes Tensor<{generated}>; remove yours, or give it another name"));
        }
    }

    /// <summary>
    /// STR0020 on each user member whose name a generated member has (CS0102 there otherwise): any member for a field,
    /// property, event, nested type or private helper; for a user method and a generated public one, the same signature (CS0111).
    /// </summary>
    private static void CheckMembers(NetworkSpec spec, NetworkOutput output, List<DiagnosticInfo> diagnostics)
    {
        if (spec.UserMembers.Count == 0) return; // the usual network: nothing to emit twice
        Dictionary<string, List<string>> generated;
        try
        {
            generated = GeneratedMembers.Of(output);
        }
        catch (System.Exception e) when (e is not System.OperationCanceledException)
        {
            return; // the emitter's own failure is STR0099 where the generator emits (NetworkGenerator.Emit)
        }
        foreach (var member in spec.UserMembers)
        {
            if (!generated.TryGetValue(member.Name, out var signatures)) continue;
            bool methods = signatures.Count > 0;
            if (member.Signature is not null && methods && !signatures.Contains(member.Signature)) continue; // an overload
            string problem = member.Signature is not null && methods
                ? $"the generated '{member.Name}' has this signature; remove or rename yours"
                : $"the generated class declares a member named '{member.Name}'; rename yours";
            diagnostics.Add(DiagnosticInfo.Create("STR0020", member.Span, spec.ClassName, member.Description, problem));
        }
    }

    /// <summary>STR0099: the exception's type and message, so that a report of the declaration can be reproduced.</summary>
    public static DiagnosticInfo InternalError(string className, SourceSpan span, System.Exception e) =>
        DiagnosticInfo.Create("STR0099", span, className, e.GetType().Name + ": " + e.Message);

    private static InvalidNetworkPlan Invalid(NetworkSpec spec, DiagnosticInfo error) =>
        new(spec.Namespace, spec.ClassName, spec.Accessibility, spec.HintName, spec.Containers,
            UsableInput(spec.Input), spec.Input?.Name ?? "input", error.Id, DiagnosticDescriptors.Message(error),
            DiagnosticDescriptors.ById(error.Id).HelpLinkUri)
        {
            HasDropout = spec.Layers.Any(l => l.Kind == LayerKind.Dropout),
            Dense = spec.Dense,
            ExtraInputs = UsableInput(spec.Input).Count > 0 && spec.ExtraInputs.All(x => UsableInput(x).Count > 0)
                ? new EquatableArray<InvalidInput>(spec.ExtraInputs.Select(x => new InvalidInput(x.Name, x.Dims)).ToArray())
                : EquatableArray<InvalidInput>.Empty,
            OutputNames = UsableInput(spec.Input).Count > 0 && spec.Output is { Names.Count: > 1 } output && UsableOutputs(output.Names)
                ? output.Names
                : EquatableArray<string>.Empty,
        };

    /// <summary>Several [Output] names that make distinct, declarable record properties (STR0022 reports the others).</summary>
    private static bool UsableOutputs(EquatableArray<string> names)
    {
        var properties = names.Select(n => n.Length == 0 ? "" : NetworkPlanner.OutputProperty(n)).ToList();
        return properties.All(p => p.Length > 0 && Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(p) && p is not ("EqualityContract" or "Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "PrintMembers" or "GetType"))
            && properties.Distinct().Count() == properties.Count;
    }

    /// <summary>The declared input dims when they make a shape type (1 to 3 dims, channels fixed, sizes at least 1 or Dim.Any); else empty.</summary>
    private static EquatableArray<int> UsableInput(InputSpec? input)
    {
        if (input is null || input.Dims.Count is < 1 or > 3 || input.Dims[0] < 1) return EquatableArray<int>.Empty;
        return input.Dims.All(d => d >= 1 || d == -1) ? input.Dims : EquatableArray<int>.Empty;
    }
}
