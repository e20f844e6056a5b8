# frozen_string_literal: true

require "json"
require "pathname"

module Cfcerts
  # What apply would do to one entry: action is "create", "renew", "replace", "reactivate", "revoke",
  # "revoke_replaced", "run_hook", "write_outputs", "keep" or "none"; reason says why.
  FleetStep = Struct.new(:name, :zone, :action, :reason, :certificate_id, keyword_init: true)

  # A plan: its steps, the counts of each action, the requests apply would make and their time at the budget, and
  # basis (pass the plan to apply(plan:) to apply only while the manifest, the state and the zone still give it).
  FleetPlan = Struct.new(:steps, :counts, :requests, :estimated_seconds, :budget, :basis, keyword_init: true) do
    def changes? = steps.any? { |step| !%w[none keep].include?(step.action) }
  end

  # One step of an apply, as it ended: outcome "done" or "failed" (detail says why).
  FleetStepResult = Struct.new(:name, :action, :outcome, :certificate_id, :detail, keyword_init: true)

  # What an apply did; interrupted: it was cancelled (apply again to finish what it left under way).
  FleetReport = Struct.new(:done, :failed, :interrupted, :rate_limited_answers, :results, keyword_init: true)

  # client.fleet: fleet as code (README, "Fleet as code"). A manifest given as a path (YAML or JSON) reads its
  # relative paths from the file's folder and keeps its state beside it (fleet.yaml -> fleet.state), as the CLI
  # does; one given as a Hash (the manifest's JSON shape) needs state_dir, and reads relative paths from base_dir
  # (default: the current folder). YAML is read by Psych with YAML 1.2's booleans (only true and false: country:
  # NO stays "NO"), safely (no object from a tag), without aliases and refusing a key given twice.
  class Fleet
    def initialize(client)
      @client = client
    end

    # What apply would do now: reads each zone once; writes nothing.
    def plan(manifest, state_dir: nil, base_dir: nil)
      text, params = Fleet.arguments(manifest, state_dir, base_dir, {})
      fields = @client.call_json(:cfcerts_fleet_plan, text, params)
      FleetPlan.new(steps: fields["steps"].map { |s| FleetStep.new(**Fleet.symbols(s, FleetStep)).freeze }.freeze,
                    counts: fields["counts"].freeze, requests: fields["requests"],
                    estimated_seconds: fields["estimated_seconds"], budget: fields["budget"],
                    basis: fields["basis"]).freeze
    end

    # Makes the zone and the output files match the manifest, in the background: an Enumerable of each step's
    # result as it ends; report is set at the end. Killed at any moment and run again, it finishes what was under
    # way and issues nothing twice. A state folder another apply holds raises InUse (while enumerating); a plan
    # that no longer matches, InvalidArgument.
    #
    # An entry's hook runs as `cfcerts apply` runs it, in the enumerating thread once the entry's new files are in
    # place: /bin/sh -c HOOK in a process group of its own, standard input from /dev/null, the CFCERTS_* variables
    # added to this process's environment and the credential variables left out. After hook_timeout seconds, on
    # cancel or close (which then waits for it to end, 5 s at most), or on Interrupt, its group gets SIGTERM, then
    # SIGKILL 5 s later or as soon as the shell has ended. One that fails (or is ended) is reported as a failed
    # "run_hook" step, and the certificate its entry's new one replaces stays active: the next apply runs it again.
    def apply(manifest, state_dir: nil, base_dir: nil, concurrency: nil, plan: nil, hook_timeout: 600)
      unless hook_timeout.is_a?(Numeric) && hook_timeout.positive? && hook_timeout <= 86_400
        raise InvalidArgument, "hook_timeout must be a number of seconds, above 0 and at most 86400"
      end

      extra = { concurrency: concurrency.nil? ? nil : Arguments.integer(concurrency, "concurrency"),
                plan_basis: plan&.basis, caller_runs_hooks: true }
      text, params = Fleet.arguments(manifest, state_dir, base_dir, extra)
      FleetApply.new(@client, text, params, hook_timeout)
    end

    # @api private: the manifest's JSON text and the C call's params.
    def self.arguments(manifest, state_dir, base_dir, extra)
      case manifest
      when Hash
        raise InvalidArgument, "state_dir is required with a manifest given as a Hash" if state_dir.nil?

        document = manifest
        base = base_dir || Dir.pwd
      when String, Pathname
        path = File.expand_path(manifest.to_s)
        document = read(path)
        base = base_dir || File.dirname(path)
        state_dir ||= path.sub(/\.(ya?ml|json)\z/, "") + ".state"
      else
        raise InvalidArgument, "manifest must be a path or a Hash, not #{manifest.class}"
      end
      text = begin
        JSON.generate(document)
      rescue JSON::GeneratorError => e
        raise InvalidArgument, "the manifest cannot be written as JSON: #{e.message}"
      end
      params = Arguments.json_object({ base_dir: Arguments.text(base.to_s, "base_dir"),
                                       state_dir: Arguments.text(state_dir.to_s, "state_dir"), **extra }, "fleet")
      [Arguments.text(text, "manifest"), params]
    end

    def self.read(path)
      text = File.read(path, encoding: "UTF-8")
      raise InvalidArgument, "#{path} is not UTF-8 text" unless text.valid_encoding?

      if path.end_with?(".json")
        JSON.parse(text)
      else
        load_yaml(text, path)
      end
    rescue SystemCallError => e
      raise InvalidArgument, "cannot read the manifest #{path}: #{e.message}"
    rescue JSON::ParserError => e
      raise InvalidArgument, "#{path} is not valid JSON: #{e.message.lines.first&.strip}"
    end

    # YAML 1.2's booleans: Psych (YAML 1.1) reads yes/no/on/off/y/n as booleans; here they stay the strings
    # written. Read safely: no Ruby object from a tag, no alias (a manifest has defaults for sharing, and an alias
    # bomb cannot be expanded), no key given twice.
    def self.load_yaml(text, path)
      require "psych"
      tree = Psych.parse(text)
      return nil unless tree

      tree.each do |node|
        case node
        when Psych::Nodes::Scalar
          next unless node.plain && node.tag.nil?
          next unless %w[y Y yes Yes YES n N no No NO on On ON off Off OFF].include?(node.value)

          node.plain = false
          node.quoted = true
        when Psych::Nodes::Mapping
          keys = node.children.each_slice(2).map(&:first).grep(Psych::Nodes::Scalar).map(&:value)
          duplicate = keys.find { |key| keys.count(key) > 1 }
          raise InvalidArgument, "#{path}: the key \"#{duplicate}\" is given twice" if duplicate
        when Psych::Nodes::Alias
          raise InvalidArgument, "#{path}: aliases are not read (use defaults to share settings)"
        end
      end
      # safe_load's own conversion, on the tree adjusted above: no class may be built from a tag.
      loader = Psych::ClassLoader::Restricted.new([], [])
      Psych::Visitors::ToRuby.new(Psych::ScalarScanner.new(loader), loader).accept(tree)
    rescue Psych::SyntaxError => e
      raise InvalidArgument, "#{path} is not valid YAML: #{e.message.lines.first&.strip}"
    rescue Psych::Exception => e
      raise InvalidArgument, "#{path}: #{e.message.lines.first&.strip}"
    end

    # @api private
    def self.symbols(fields, type)
      type.members.to_h { |member| [member, fields[member.to_s]] }
    end
  end

  # An apply in progress: Enumerable over each step's result as it ends (the results are kept: enumerating
  # again replays them, then reads on); report is set at the end. cancel (any thread) stops it between steps;
  # close cancels and frees it.
  class FleetApply
    include NativeRun

    attr_reader :report

    def initialize(client, manifest, params, hook_timeout = 600)
      @report = nil
      @hook_timeout = hook_timeout
      @running_hook = nil
      @cancelled = false
      @hook_mutex = Mutex.new # a cancel never misses a hook as it starts
      open_run(client, manifest, params)
    end

    # Stops the apply between steps: its requests in flight end at once, and a hook that runs or is about to is
    # ended (SIGTERM to its group, SIGKILL 5 s later or once the shell has ended). Safe from any thread.
    def cancel
      @hook_mutex.synchronize do
        @cancelled = true
        @running_hook&.stop
      end
      super
    end

    private

    # A hook handed out: run it, with the read lock held (no other thread pulls meanwhile), and answer it.
    def answer_request(fields)
      return false unless fields.key?("hook")

      hook = HookProcess.new(fields["hook"], @hook_timeout)
      @hook_mutex.synchronize do
        @running_hook = hook
        hook.stop if @cancelled
      end
      begin
        succeeded, detail = hook.run
      rescue Exception # rubocop:disable Lint/RescueException -- Ctrl-C while the hook ran: the next apply runs it
        cancel
        free_run
        raise
      ensure
        @hook_mutex.synchronize { @running_hook = nil }
      end
      @handle_lock.synchronize do
        # CFCERTS_EINVAL here means the apply was cancelled meanwhile: the next pull says how it ended.
        Library.cfcerts_fleet_apply_hook_done(@run, succeeded ? 1 : 0, detail&.byteslice(0, 1000)&.scrub("")) if @run
      end
      true
    end

    def native_kind = :fleet_apply

    def parse_item(fields) = FleetStepResult.new(**Fleet.symbols(fields, FleetStepResult)).freeze

    def read_end
      code, text = Library.call_for_string(:cfcerts_fleet_apply_report, @run)
      return unless code.zero?

      fields = Cfcerts.parse_json(text)
      @report = FleetReport.new(done: fields["done"], failed: fields["failed"], interrupted: fields["interrupted"],
                                rate_limited_answers: fields["rate_limited_answers"],
                                results: fields["results"].map { |result| parse_item(result) }.freeze).freeze
    end
  end
end
