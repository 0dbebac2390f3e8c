import AAAnalytics
import Testing

@Suite struct TemplateMinerTests {
    @Test func masksVariablePartsOfTokens() {
        #expect(TemplateMasker.masked("connect to 10.0.0.12:8080 failed after 3 tries") == "connect to <*> failed after <*> tries")
        #expect(TemplateMasker.masked("cat /tmp/tmp.Xy12ab/out.txt ./build/a.o") == "cat <*> <*>")
        #expect(TemplateMasker.masked("commit 3f9a0c2e1b7d hash 0xdeadbeef") == "commit <*> hash <*>")
        #expect(TemplateMasker.masked("sshd[19939]: uid=0 blk_-1608999687919862906") == "sshd[<*>]: uid=<*> blk_<*>")
        #expect(TemplateMasker.masked("error404 in file1.txt") == "error<*> in file<*>.txt")
        // Words that merely look like hex stay.
        #expect(TemplateMasker.masked("added a bad cafe") == "added a bad cafe")
    }

    @Test func groupsLinesOfOneShape() {
        var miner = TemplateMiner()
        let a = miner.add("Connection closed by 1.2.3.4 port 22")
        let b = miner.add("Connection closed by 5.6.7.8 port 2222")
        let c = miner.add("Accepted password for root from 1.2.3.4 port 22 ssh2")
        let d = miner.add("Connection closed by user alice")
        #expect(a == b)
        #expect(a != c)
        #expect(miner.template(a) == "Connection closed by <*> port <*>")
        #expect(miner.count == 3 || d == a)
        #expect(miner.size(a) >= 2)
    }

    @Test func generalizesDifferingWords() {
        var miner = TemplateMiner()
        let a = miner.add("session opened for user root by sshd")
        let b = miner.add("session opened for user guest by sshd")
        #expect(a == b)
        #expect(miner.template(a) == "session opened for user <*> by sshd")
    }

    @Test func keepsUnrelatedLinesApart() {
        var miner = TemplateMiner()
        let a = miner.add("python3 -m pytest tests")
        let b = miner.add("ls -la /app")
        let c = miner.add("apt-get install -y curl")
        #expect(Set([a, b, c]).count == 3)
        #expect(miner.template(99) == "")
    }
}
