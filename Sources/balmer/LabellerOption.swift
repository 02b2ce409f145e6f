import ArgumentParser

/// `--labeller NAME` of `balmer label` and `balmer label keygen`.
struct LabellerOption: ParsableArguments {
    @Option(help: "Your name as a labeller (letters, digits, . _ - @); balmer label: default the --key's name, else simulated-oracle with --simulate.")
    var labeller: String?
}
