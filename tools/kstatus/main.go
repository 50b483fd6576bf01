// Command kstatus prints what sigs.k8s.io/cli-utils' kstatus (the health rules Flux and kpt use)
// makes of Kubernetes objects: one JSON line per object read from stdin, which holds YAML or JSON
// documents, each an object or a List of objects.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "kstatus: %v\n", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(in), 4096)
	encoder := json.NewEncoder(out)
	for document := 1; ; document++ {
		var raw json.RawMessage
		if err := decoder.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("document %d: %w", document, err)
		}
		// Integers as int64, as the API machinery reads objects (kstatus wants generations so).
		var object map[string]any
		if err := utiljson.Unmarshal(raw, &object); err != nil {
			return fmt.Errorf("document %d: %w", document, err)
		}
		if object == nil {
			continue
		}
		items, err := itemsOf(&unstructured.Unstructured{Object: object})
		if err != nil {
			return fmt.Errorf("document %d: %w", document, err)
		}
		for _, item := range items {
			result, err := status.Compute(item)
			if err != nil {
				return fmt.Errorf("document %d, %s %s: %w", document, item.GetKind(), item.GetName(), err)
			}
			if err := encoder.Encode(verdict{
				Kind:      item.GetKind(),
				Namespace: item.GetNamespace(),
				Name:      item.GetName(),
				Status:    result.Status.String(),
				Message:   result.Message,
			}); err != nil {
				return err
			}
		}
	}
}

// itemsOf returns the objects of a List, or the object itself.
func itemsOf(object *unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	if !object.IsList() {
		return []*unstructured.Unstructured{object}, nil
	}
	var items []*unstructured.Unstructured
	err := object.EachListItem(func(item runtime.Object) error {
		u, ok := item.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("a list item of type %T", item)
		}
		items = append(items, u)
		return nil
	})
	return items, err
}
