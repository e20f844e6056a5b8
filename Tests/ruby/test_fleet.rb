# frozen_string_literal: true

require_relative "helper"
require "tmpdir"
require "open3"

# Fleet as code from Ruby: a YAML file (NO stays "NO", where Psych alone would read false), a Hash manifest, plan,
# apply enumerated (twice: the results are kept) to its report, plan again, errors that name the field, a saved
# plan that no longer matches, and hooks run as `cfcerts apply` runs them (environment, failure, timeout).
class FleetTest < Minitest::Test
  include EmulatorHelper

  def setup
    @client = Cfcerts::Client.new(api_token: EmulatorHelper::TOKEN, base_url: base_url)
    @zone = SecureRandom.hex(16)
    @dir = Dir.mktmpdir("cfcerts-fleet")
  end

  def teardown
    @client.close
    FileUtils.rm_rf(@dir)
    super
  end

  def manifest(count, **defaults)
    { "zone" => @zone, "defaults" => { "outputs" => { "dir" => "out" } }.merge(defaults),
      "certificates" => (0...count).map { |i| { "name" => "dev-#{i}", "subject" => { "common_name" => "dev-#{i}.example.com" } } } }
  end

  def public_key(*command)
    out, status = Open3.capture2(*command)
    assert status.success?
    out
  end

  def test_yaml_plan_apply_plan_again
    path = File.join(@dir, "fleet.yaml")
    File.write(path, "zone: #{@zone}\ndefaults:\n  subject: {country: NO}\n  outputs: {dir: certs}\ncertificates:\n" \
                     "  - name: edge\n    subject: {common_name: edge.example.com}\n")
    plan = @client.fleet.plan(path)
    assert_equal [%w[edge create]], plan.steps.map { |s| [s.name, s.action] }
    assert plan.changes?
    run = @client.fleet.apply(path)
    results = run.to_a
    assert_equal [%w[edge create done]], results.map { |r| [r.name, r.action, r.outcome] }
    assert_equal results, run.to_a, "a second pass replays the results"
    assert_equal 1, run.report.done
    certificate, key = File.join(@dir, "certs", "edge.pem"), File.join(@dir, "certs", "edge.key")
    assert_equal public_key("openssl", "x509", "-noout", "-pubkey", "-in", certificate),
                 public_key("openssl", "pkey", "-pubout", "-in", key)
    assert_includes public_key("openssl", "x509", "-noout", "-subject", "-in", certificate), "C = NO"
    assert File.directory?(File.join(@dir, "fleet.state"))
    refute @client.fleet.plan(path).changes?
  end

  def test_hooks_run_with_the_new_files_and_a_failed_one_runs_again
    log, ready, state = File.join(@dir, "hooks.log"), File.join(@dir, "dev-1.ready"), File.join(@dir, "state")
    hook = %(test -s "$CFCERTS_CERT_FILE" && test -s "$CFCERTS_KEY_FILE" || exit 9; ) +
           %(echo "$CFCERTS_NAME $CFCERTS_NEW_ID ${CLOUDFLARE_API_TOKEN:-unset}" >> #{log}; ) +
           %([ "$CFCERTS_NAME" != dev-1 ] || [ -e #{ready} ] || exit 3)
    document = manifest(2, "hook" => hook)
    token_before = ENV.fetch("CLOUDFLARE_API_TOKEN", nil)
    ENV["CLOUDFLARE_API_TOKEN"] = "not-for-hooks"
    hooks = @client.fleet.apply(document, state_dir: state, base_dir: @dir).select { |r| r.action == "run_hook" }
    assert_equal [%w[dev-0 done], %w[dev-1 failed]], hooks.map { |r| [r.name, r.outcome] }.sort
    assert_match(/exited with status 3/, hooks.find { |r| r.name == "dev-1" }.detail)
    first = File.read(log).lines.first.split
    assert_equal ["dev-0", 32, "unset"], [first[0], first[1].size, first[2]]
    plan = @client.fleet.plan(document, state_dir: state, base_dir: @dir)
    assert_equal [%w[dev-1 run_hook]], plan.steps.reject { |s| s.action == "none" }.map { |s| [s.name, s.action] }
    FileUtils.touch(ready)
    again = @client.fleet.apply(document, state_dir: state, base_dir: @dir).to_a
    assert_equal [%w[dev-1 run_hook done]], again.map { |r| [r.name, r.action, r.outcome] }
    refute @client.fleet.plan(document, state_dir: state, base_dir: @dir).changes?
  ensure
    ENV["CLOUDFLARE_API_TOKEN"] = token_before
  end

  # Whether the process whose pid the file holds still runs, once given a few seconds to end.
  def alive?(pid_file)
    pid = File.read(pid_file).to_i
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 3
    while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
      stat = File.read("/proc/#{pid}/stat") rescue (return false)
      return false if stat.split(") ").last.start_with?("Z")

      sleep 0.05
    end
    true
  end

  def test_a_hook_past_its_timeout_is_ended_with_what_it_started
    hook = "sleep 30 & echo $! > #{@dir}/child.pid; sleep 30"
    run = @client.fleet.apply(manifest(1, "hook" => hook), state_dir: File.join(@dir, "s"), base_dir: @dir, hook_timeout: 0.5)
    hooks = run.select { |r| r.action == "run_hook" }
    assert_equal ["failed"], hooks.map(&:outcome)
    assert_match(/timeout/, hooks.first.detail)
    refute alive?(File.join(@dir, "child.pid")), "the hook's background child outlived it"
  end

  def test_close_from_another_thread_ends_a_running_hook
    hook = "echo $$ > #{@dir}/hook.pid; sleep 60"
    run = @client.fleet.apply(manifest(1, "hook" => hook), state_dir: File.join(@dir, "s"), base_dir: @dir)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    closer = Thread.new do
      sleep 0.1 until File.exist?(File.join(@dir, "hook.pid"))
      run.close
    end
    results = run.to_a
    closer.join
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 15, "close waited for the hook"
    refute alive?(File.join(@dir, "hook.pid"))
    assert(results.none? { |r| r.action == "run_hook" && r.outcome == "done" })
  end

  def test_a_killed_enumerating_thread_ends_its_hook
    pid_file = File.join(@dir, "hook.pid")
    run = @client.fleet.apply(manifest(1, "hook" => "echo $$ > #{pid_file}; sleep 60"), state_dir: File.join(@dir, "s"), base_dir: @dir)
    enumerating = Thread.new { run.to_a }
    sleep 0.05 until File.exist?(pid_file) && !File.read(pid_file).empty?
    enumerating.kill
    enumerating.join
    refute alive?(pid_file), "the hook outlived the thread that ran it"
    run.close
  end

  def test_hash_manifest_errors_and_saved_plan
    state = File.join(@dir, "state")
    error = assert_raises(Cfcerts::InvalidArgument) { @client.fleet.plan(manifest(1)) }
    assert_match(/state_dir is required/, error.message)
    bad = manifest(1)
    bad["certificates"][0]["validty_days"] = 5
    error = assert_raises(Cfcerts::InvalidArgument) { @client.fleet.plan(bad, state_dir: state) }
    assert_match(/certificates\[0\]\.validty_days is not a manifest field/, error.message)
    assert_raises(Cfcerts::InvalidArgument) { @client.fleet.apply(manifest(1, "hook" => "true"), state_dir: state, hook_timeout: 0) }
    assert_raises(Cfcerts::InvalidArgument) { @client.fleet.plan(42) }

    plan = @client.fleet.plan(manifest(3), state_dir: state, base_dir: @dir)
    assert_equal 3, plan.counts["create"]
    error = assert_raises(Cfcerts::InvalidArgument) do
      # Two entries, not the three the plan was made for.
      @client.fleet.apply(manifest(2), state_dir: state, base_dir: @dir, plan: plan).to_a
    end
    assert_match(/no longer matches/, error.message)
    run = @client.fleet.apply(manifest(3), state_dir: state, base_dir: @dir, concurrency: 2)
    first_two = run.first(2)
    assert_equal 2, first_two.size
    assert_equal 3, run.count { |r| r.outcome == "done" }
    refute @client.fleet.plan(manifest(3), state_dir: state, base_dir: @dir).changes?
  end

  def test_yaml_read_safely
    path = File.join(@dir, "unsafe.yaml")
    File.write(path, "zone: !ruby/object:Gem::Version\n  version: 1.0\ncertificates: []\n")
    assert_raises(Cfcerts::InvalidArgument) { @client.fleet.plan(path) }
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + ("b".."i").map { |l| "#{l}: &#{l} [#{(["*#{(l.ord - 1).chr}"] * 10).join(", ")}]" }
    File.write(path, bomb.join("\n") + "\n")
    error = assert_raises(Cfcerts::InvalidArgument) { @client.fleet.plan(path) }
    assert_match(/aliases are not read/, error.message)
    File.write(path, "zone: #{@zone}\nzone: #{@zone}\ncertificates: []\n")
    error = assert_raises(Cfcerts::InvalidArgument) { @client.fleet.plan(path) }
    assert_match(/the key "zone" is given twice/, error.message)
  end
end
