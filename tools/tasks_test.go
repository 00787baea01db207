package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/benchmcp/benchmcp/internal/jobs"
	"github.com/benchmcp/benchmcp/internal/record"
)

// TestTaskBelongsToItsClient: a job's task is reached only by the client
// that submitted it and only with the whole id (job id and secret); the
// store keeps the secret's hash, never the secret; every other way in is
// ErrTaskNotFound, which says nothing about whether the job exists. A
// failed job is a completed task whose result is a tool error.
func TestTaskBelongsToItsClient(t *testing.T) {
	svc := offlineService(t)
	st := svc.Store
	svc.Jobs = jobs.New(st, nil)
	defer svc.Jobs.Shutdown(10 * time.Second)
	svc.Jobs.Register("fails", func(context.Context, record.Job, jobs.Reporter) (any, string, error) {
		return nil, "", errors.New("it always fails")
	})
	ticket := newTaskTicket()
	ctx := context.WithValue(WithClient(context.Background(), "client-a", false), taskTicketKey{}, ticket)
	job, err := svc.Jobs.SubmitFor(submitter(ctx), "fails", []string{"local"}, nil, map[string]any{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	id := jobTaskID(job.ID, ticket)
	stored, err := st.GetJob(job.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(stored)
	if stored.TaskHash != taskHash(ticket.secret) || strings.Contains(string(raw), ticket.secret) {
		t.Errorf("stored job %s: want the secret's hash and never the secret", raw)
	}
	for _, c := range []struct{ id, client string }{
		{id, "client-b"}, {id, ""}, {job.ID, "client-a"}, {job.ID + ".", "client-a"},
		{job.ID + "." + strings.Repeat("0", 32), "client-a"}, {"j19990101-000000-0001." + ticket.secret, "client-a"},
	} {
		if _, err := svc.Task(c.id, c.client); !errors.Is(err, ErrTaskNotFound) {
			t.Errorf("Task(%q, %q): %v; want ErrTaskNotFound", c.id, c.client, err)
		}
		if err := svc.CancelTask(c.id, c.client); !errors.Is(err, ErrTaskNotFound) {
			t.Errorf("CancelTask(%q, %q): %v; want ErrTaskNotFound", c.id, c.client, err)
		}
	}
	var task Task
	for deadline := time.Now().Add(time.Minute); ; {
		if task, err = svc.Task(id, "client-a"); err != nil {
			t.Fatal(err)
		}
		if task.Status != TaskWorking || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var res struct {
		IsError    bool   `json:"isError"`
		ResultType string `json:"resultType"`
		Content    []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(task.Result, &res); err != nil || task.Status != TaskCompleted || task.Error != nil ||
		!res.IsError || res.ResultType != "complete" || len(res.Content) == 0 || !strings.Contains(res.Content[0].Text, "it always fails") {
		t.Errorf("failed job as a task: status %s error %v result %s; want completed with a tool error saying why", task.Status, task.Error, task.Result)
	}
	if err := svc.CancelTask(id, "client-a"); err != nil {
		t.Errorf("cancel of an ended task: %v; want nothing to do", err)
	}
}
